package org.shampoo4j.bench.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;

/**
 * cuDNN's benchmark mode (PyTorch's {@code torch.backends.cudnn.benchmark}): with it on, the first
 * convolution of each input shape tries cuDNN's algorithms and keeps the fastest. DJL turns it on
 * at engine start when the system property {@link #PROPERTY} is {@code true}; this sets the
 * property before the engine starts and, should the engine already be running, the flag itself.
 */
public final class CudnnBenchmark {
  /** DJL's system property, read once when the PyTorch engine starts. */
  public static final String PROPERTY = "ai.djl.pytorch.cudnn_benchmark";

  private CudnnBenchmark() {}

  /**
   * {@code on} or {@code off} (any case).
   *
   * @throws IllegalArgumentException for anything else
   */
  public static boolean parse(String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "on" -> true;
      case "off" -> false;
      default -> throw new IllegalArgumentException(
          "--cudnn-benchmark must be on or off, got '" + value + "'");
    };
  }

  /**
   * Sets the property, then starts the engine (if it has not started) and sets libtorch's flag to
   * the same value, so that it holds whatever the engine read at its start.
   */
  public static void set(boolean on) {
    System.setProperty(PROPERTY, Boolean.toString(on));
    Engine.getEngine("PyTorch");
    JniUtils.setBenchmarkCuDNN(on);
  }
}
