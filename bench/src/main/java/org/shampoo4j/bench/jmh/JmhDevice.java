package org.shampoo4j.bench.jmh;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Locale;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The device a benchmark runs on, as a JMH parameter shared by every benchmark: {@code -p
 * device=cpu} (the default) or {@code -p device=gpu}. A benchmark takes it as an argument of its
 * {@code @Setup} method, creates its arrays with {@link #newManager()} and ends every measured call
 * with {@link #await(NDArray)}, so that asynchronous GPU work is inside the measured time.
 *
 * <p>{@code gpu} fails at setup with a clear message when the PyTorch engine sees no GPU.
 */
@State(Scope.Benchmark)
public class JmhDevice {
  /** {@code cpu} or {@code gpu}. */
  @Param({"cpu"})
  public String device;

  /** Creates the state; JMH fills the parameter. */
  public JmhDevice() {}

  /**
   * The DJL device named by {@link #device}.
   *
   * @throws IllegalArgumentException if the name is neither cpu nor gpu, or gpu is asked for and
   *     the engine sees none
   */
  public Device device() {
    return resolve(device);
  }

  /** A new base manager on {@link #device()}; the benchmark closes it in its tear-down. */
  public NDManager newManager() {
    return NDManager.newBaseManager(device());
  }

  /**
   * Waits until {@code array} is computed (a GPU runs kernels asynchronously) by reading one of its
   * elements to the host, and returns its size so JMH cannot discard the work. An empty array
   * returns 0 without waiting.
   */
  public static long await(NDArray array) {
    long size = array.size();
    if (size > 0) {
      try (NDArray flat = array.flatten();
          NDArray first = flat.get(0)) {
        first.toByteArray();
      }
    }
    return size;
  }

  /**
   * The DJL device of a name.
   *
   * @throws IllegalArgumentException if the name is neither cpu nor gpu, or gpu is asked for and
   *     the engine sees none
   */
  public static Device resolve(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "cpu":
        return Device.cpu();
      case "gpu":
        if (Engine.getInstance().getGpuCount() < 1) {
          throw new IllegalArgumentException("device=gpu: the PyTorch engine sees no GPU (this "
              + "build bundles the CPU native library; put a CUDA pytorch-native jar on the class "
              + "path)");
        }
        return Device.gpu();
      default:
        throw new IllegalArgumentException("device must be cpu or gpu, got '" + name + "'");
    }
  }
}
