package org.shampoo4j.bench.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
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
import org.shampoo4j.quant.ArrayQuantizer;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.FloatTensor;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.PackedTensor;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.quant.linear2.Linear2Map;

/**
 * Block-wise 4-bit quantize / dequantize of a flat fp32 tensor (Linear-2 map, block 64) on the
 * pure-Java {@link ArrayQuantizer} and on the DJL {@link NDArrayQuantizer} on the {@link
 * JmhDevice} ({@code -p device=gpu} for CUDA; the Java benchmarks ignore it). Scores are
 * microseconds per call; {@link BenchmarkRunner} turns them into GB/s of fp32 input
 * ({@code 4·elements} bytes per call) and, where {@link CopyBenchmark} ran on the same device and
 * size, into a percentage of the device's copy bandwidth.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx6g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class QuantizerBenchmark {
  /** Tensor length: 1K to 16M elements (64M = 67108864 fits a GPU). */
  @Param({"1024", "65536", "1048576", "16777216"})
  public int elements;

  private ArrayQuantizer arrayQuantizer;
  private NDArrayQuantizer ndQuantizer;
  private FloatTensor tensor;
  private PackedTensor packed;
  private NDManager manager;
  private CodeKernels kernels;
  private NDArray array;
  private PackedNDArray packedArray;

  /** Creates the benchmark; JMH fills the parameters. */
  public QuantizerBenchmark() {}

  /** Random normal input, quantized once so the dequantize benchmarks have codes to read. */
  @Setup(Level.Trial)
  public void setUp(JmhDevice device) {
    QuantizationSpec spec = QuantizationSpec.of(new Linear2Map().codebook(4));
    arrayQuantizer = new ArrayQuantizer(spec);
    float[] data = new float[elements];
    Random r = new Random(42);
    for (int i = 0; i < elements; i++) {
      data[i] = (float) r.nextGaussian();
    }
    tensor = FloatTensor.vector(data);
    packed = arrayQuantizer.quantize(tensor);
    manager = device.newManager();
    kernels = new CodeKernels(manager);
    // Finiteness is checked by the optimizer before quantization; the benchmark measures the
    // quantization alone on both paths.
    ndQuantizer = new NDArrayQuantizer(spec, false, kernels);
    array = manager.create(data);
    packedArray = ndQuantizer.quantize(array);
  }

  /** Frees the device arrays. */
  @TearDown(Level.Trial)
  public void tearDown() {
    packedArray.close();
    kernels.close();
    manager.close();
  }

  /** Pure-Java quantization. */
  @Benchmark
  public PackedTensor javaQuantize() {
    return arrayQuantizer.quantize(tensor);
  }

  /** Pure-Java dequantization. */
  @Benchmark
  public FloatTensor javaDequantize() {
    return arrayQuantizer.dequantize(packed);
  }

  /** DJL quantization; the result is freed inside the measured call. */
  @Benchmark
  public long djlQuantize() {
    try (PackedNDArray p = ndQuantizer.quantize(array)) {
      return JmhDevice.await(p.codes());
    }
  }

  /** DJL dequantization; the result is freed inside the measured call. */
  @Benchmark
  public long djlDequantize() {
    try (NDArray a = ndQuantizer.dequantize(packedArray)) {
      return JmhDevice.await(a);
    }
  }
}
