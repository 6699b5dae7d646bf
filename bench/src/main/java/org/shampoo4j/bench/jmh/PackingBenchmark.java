package org.shampoo4j.bench.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
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
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.CodePacker;

/**
 * Packing alone: 4-bit codes (one per byte) into nibbles and back, with {@link CodePacker} on the
 * heap and with {@link DeviceCodes} on the {@link JmhDevice}. Scores are microseconds per call;
 * {@link BenchmarkRunner} reports GB/s of the equivalent fp32 input ({@code 4·elements} bytes) so
 * the numbers line up with {@link QuantizerBenchmark}'s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PackingBenchmark {
  /** Number of codes: 1K to 16M. */
  @Param({"1024", "65536", "1048576", "16777216"})
  public int elements;

  private CodePacker packer;
  private byte[] codes;
  private byte[] packed;
  private NDManager manager;
  private CodeKernels kernels;
  private NDArray deviceCodes;
  private NDArray devicePacked;

  /** Creates the benchmark; JMH fills the parameters. */
  public PackingBenchmark() {}

  /** Random 4-bit codes. */
  @Setup(Level.Trial)
  public void setUp(JmhDevice device) {
    packer = new CodePacker(4);
    codes = new byte[elements];
    Random r = new Random(42);
    for (int i = 0; i < elements; i++) {
      codes[i] = (byte) r.nextInt(16);
    }
    packed = packer.pack(codes);
    manager = device.newManager();
    kernels = new CodeKernels(manager);
    deviceCodes = manager.create(ByteBuffer.wrap(codes), new Shape(elements), DataType.UINT8);
    devicePacked = kernels.pack(deviceCodes, 4);
  }

  /** Frees the device arrays and the kernels. */
  @TearDown(Level.Trial)
  public void tearDown() {
    kernels.close();
    manager.close();
  }

  /** Codes to nibbles. */
  @Benchmark
  public byte[] pack() {
    return packer.pack(codes);
  }

  /** Nibbles to codes. */
  @Benchmark
  public byte[] unpack() {
    return packer.unpack(packed, elements);
  }

  /** Codes to nibbles on the device; temporaries are freed inside the measured call. */
  @Benchmark
  public long djlPack() {
    try (NDManager scope = manager.newSubManager()) {
      deviceCodes.tempAttach(scope);
      return JmhDevice.await(kernels.pack(deviceCodes, 4));
    }
  }

  /** Nibbles to codes on the device; temporaries are freed inside the measured call. */
  @Benchmark
  public long djlUnpack() {
    try (NDManager scope = manager.newSubManager()) {
      devicePacked.tempAttach(scope);
      return JmhDevice.await(kernels.unpack(devicePacked, 4, elements));
    }
  }
}
