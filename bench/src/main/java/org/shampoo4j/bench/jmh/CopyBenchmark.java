package org.shampoo4j.bench.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory-speed yardstick: a device-to-device copy of a float32 tensor (DJL {@code
 * duplicate}) on the {@link JmhDevice}. {@link BenchmarkRunner} reports its bandwidth as bytes
 * read plus written ({@code 8·elements} per call) and expresses the quantizer and packing rates
 * of the same device and size as a percentage of it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx6g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CopyBenchmark {
  /** Tensor length, as in {@link QuantizerBenchmark}. */
  @Param({"1024", "65536", "1048576", "16777216"})
  public int elements;

  private NDManager manager;
  private NDArray array;

  /** Creates the benchmark; JMH fills the parameters. */
  public CopyBenchmark() {}

  /** A float32 tensor of ones on the device. */
  @Setup(Level.Trial)
  public void setUp(JmhDevice device) {
    manager = device.newManager();
    array = manager.ones(new Shape(elements));
  }

  /** Frees the device arrays. */
  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
  }

  /** One device-to-device copy; the copy is freed inside the measured call. */
  @Benchmark
  public long copy() {
    try (NDArray copy = array.duplicate()) {
      return JmhDevice.await(copy);
    }
  }
}
