package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Decoding fuzz (issue #17): random and mutated buffers, sizes and shapes into {@link
 * PackedTensor}'s constructor, both dequantizers ({@link ArrayQuantizer}, {@link NDArrayQuantizer}
 * through {@link PackedNDArray#fromHost}), {@link CodePacker#unpack} and {@link DeviceCodes}'
 * decoders. The law: either the input is rejected with the documented {@link
 * IllegalArgumentException}, or it decodes to exactly the elements its shape names, and both
 * paths agree bit for bit. Anything else (another exception, a JVM or native crash, an allocation
 * sized by a claimed count rather than by the buffers) fails the property. Each property prints
 * how many inputs were rejected and decoded.
 */
class PackedStateFuzzTest {
  private static NDManager manager;
  private static final int[] outcomes = new int[2];

  @BeforeContainer
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterContainer
  static void close() {
    manager.close();
    System.out.printf("packed-state fuzz: %d rejected with IllegalArgumentException, %d decoded%n",
        outcomes[0], outcomes[1]);
  }

  /** Dimensions: mostly small, sometimes negative or large enough to overflow a product. */
  @Provide
  Arbitrary<int[]> shapes() {
    Arbitrary<Integer> dim = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, Arbitraries.integers().between(0, 12)),
        net.jqwik.api.Tuple.of(1, Arbitraries.of(-1, -7, 1 << 16, 1 << 20, 65_536 * 2,
            Integer.MAX_VALUE)));
    return dim.array(int[].class).ofMinSize(0).ofMaxSize(3);
  }

  @Provide
  Arbitrary<Integer> blockSizes() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(1, 70)),
        net.jqwik.api.Tuple.of(1, Arbitraries.of(-3, 0, Integer.MAX_VALUE)));
  }

  @Property(tries = 400, seed = "17")
  void anyDescriptionIsRejectedOrDecodes(
      @ForAll("shapes") int[] shape,
      @ForAll Layout layout,
      @ForAll @IntRange(min = -1, max = 9) int bits,
      @ForAll("blockSizes") int blockSize,
      @ForAll @IntRange(min = 0, max = 160) int codeBytes,
      @ForAll @IntRange(min = 0, max = 40) int scaleCount,
      @ForAll @IntRange(min = 0, max = 150) int fp32Count,
      @ForAll boolean consistentSizes,
      @ForAll long seed) {
    Random r = new Random(seed);
    long n = 1;
    for (int d : shape) {
      n = d < 0 || n * d > 5000 ? -1 : n * d;
    }
    if (consistentSizes && n >= 0 && bits >= 1 && bits <= 8 && blockSize > 0) {
      // Sizes that match the description, so that the content is what gets fuzzed.
      boolean fp32Only = layout == Layout.FP32;
      codeBytes = fp32Only ? 0 : (int) ((n * bits + 7) / 8);
      scaleCount = fp32Only ? 0 : (int) ((n + blockSize - 1) / blockSize);
      fp32Count = fp32Only ? (int) n : layout == Layout.OFF_DIAGONAL && shape.length == 2
          ? shape[0] : 0;
    }
    byte[] codes = new byte[codeBytes];
    r.nextBytes(codes);
    PackedTensor packed;
    try {
      packed = new PackedTensor(shape, layout, codebookId(bits), bits, blockSize, codes,
          randomFloats(scaleCount, r), randomFloats(fp32Count, r));
    } catch (IllegalArgumentException e) {
      outcomes[0]++;
      return;
    }
    decodeBothWays(packed);
  }

  /**
   * A valid packed tensor with one field changed (a buffer one element longer or shorter, a
   * dimension changed, another width or block size) and random codes: rejected, or decoded.
   */
  @Property(tries = 300, seed = "18")
  void mutatedPackedTensorsAreRejectedOrDecode(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll Layout layout,
      @ForAll @IntRange(min = 1, max = 40) int order,
      @ForAll @IntRange(min = 1, max = 70) int blockSize,
      @ForAll @IntRange(min = 0, max = 7) int mutation,
      @ForAll long seed) {
    Random r = new Random(seed);
    QuantizationSpec spec = QuantizationSpec.builder(TestCodebooks.linear(bits))
        .blockSize(blockSize).minQuantizedElements(layout == Layout.FP32 ? Long.MAX_VALUE : 0)
        .build();
    ArrayQuantizer quantizer = new ArrayQuantizer(spec);
    float[] values = new float[order * order];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) r.nextGaussian();
    }
    FloatTensor matrix = FloatTensor.of(values, order, order);
    PackedTensor valid = layout == Layout.OFF_DIAGONAL ? quantizer.quantizeOffDiagonal(matrix)
        : quantizer.quantize(matrix);
    int[] shape = valid.shape();
    byte[] codes = valid.codes();
    r.nextBytes(codes);
    float[] scales = valid.scales();
    float[] fp32 = valid.fp32();
    int width = valid.bits();
    int block = valid.blockSize();
    switch (mutation) {
      case 0 -> codes = Arrays.copyOf(codes,
          r.nextBoolean() || codes.length == 0 ? codes.length + 1 : codes.length - 1);
      case 1 -> scales = Arrays.copyOf(scales, Math.max(0, scales.length - 1));
      case 2 -> fp32 = Arrays.copyOf(fp32, fp32.length + 1);
      case 3 -> shape = new int[] {shape[0] + 1, shape[1]};
      case 4 -> shape = new int[] {shape[0] * shape[1]};
      case 5 -> width = 1 + r.nextInt(8);
      case 6 -> block = 1 + r.nextInt(128);
      default -> { } // codes randomised only
    }
    PackedTensor mutated;
    try {
      mutated = new PackedTensor(shape, valid.layout(), codebookId(width), width, block, codes,
          scales, fp32);
    } catch (IllegalArgumentException e) {
      outcomes[0]++;
      return;
    }
    decodeBothWays(mutated);
  }

  /** Any bytes and any count into {@link CodePacker#unpack}: rejected, or codes that fit. */
  @Property(tries = 300, seed = "19")
  void unpackOfAnyBytes(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 0, max = 100) int bytes,
      @ForAll @IntRange(min = -3, max = 900) int count,
      @ForAll long seed) {
    byte[] packed = new byte[bytes];
    new Random(seed).nextBytes(packed);
    byte[] codes;
    try {
      codes = new CodePacker(bits).unpack(packed, count);
    } catch (IllegalArgumentException e) {
      outcomes[0]++;
      return;
    }
    assertEquals(count, codes.length);
    for (byte c : codes) {
      assertTrue((c & 0xFF) < 1 << bits);
    }
    outcomes[1]++;
  }

  /**
   * {@link DeviceCodes#unpack} and {@link DeviceCodes#decodeBlocks} with counts and block sizes
   * that the buffers cannot back (up to 2^40): rejected before anything of that size is allocated.
   */
  @Property(tries = 200, seed = "20")
  void deviceDecodersRejectCountsTheBuffersCannotBack(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 0, max = 64) int bytes,
      @ForAll @IntRange(min = 0, max = 8) int scaleCount,
      @ForAll("claims") long count,
      @ForAll("claims") long blockSize,
      @ForAll long seed) {
    Random r = new Random(seed);
    byte[] packed = new byte[bytes];
    r.nextBytes(packed);
    try (NDManager scope = manager.newSubManager()) {
      NDArray buffer = scope.create(ByteBuffer.wrap(packed), new Shape(bytes), DataType.UINT8);
      NDArray codes;
      try {
        codes = DeviceCodes.unpack(buffer, bits, count);
      } catch (IllegalArgumentException e) {
        outcomes[0]++;
        assertTrue(count < 0 || (count * bits + 7) / 8 != bytes, "rejected a count the bytes "
            + "back: " + count + " codes of " + bits + " bits in " + bytes + " bytes");
        return;
      }
      assertEquals((count * bits + 7) / 8, bytes, "accepted only the exact byte count");
      assertEquals(count, codes.size());
      assertTrue(codes.toType(DataType.INT32, false).lt(1 << bits).all().getBoolean());
      int block = (int) Math.min(blockSize, Integer.MAX_VALUE);
      NDArray scales = scope.create(randomFloats(scaleCount, r));
      try {
        NDArray values = DeviceCodes.decodeBlocks(codes, scales, TestCodebooks.linear(bits), block);
        assertEquals(count, values.size());
        outcomes[1]++;
      } catch (IllegalArgumentException e) {
        outcomes[0]++;
      }
    }
  }

  @Provide
  Arbitrary<Long> claims() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.longs().between(-2, 200)),
        net.jqwik.api.Tuple.of(1, Arbitraries.of(1L << 31, 1L << 40, (long) Integer.MAX_VALUE)));
  }

  /** Decodes on the host and on the device; both must give the shape's elements, bit for bit. */
  private static void decodeBothWays(PackedTensor packed) {
    Codebook codebook = TestCodebooks.linear(packed.bits());
    QuantizationSpec spec = QuantizationSpec.builder(codebook).blockSize(packed.blockSize())
        .build();
    FloatTensor host = new ArrayQuantizer(spec).dequantize(packed);
    assertEquals(packed.elementCount(), host.size());
    try (NDManager scope = manager.newSubManager();
        PackedNDArray device = PackedNDArray.fromHost(packed, scope)) {
      NDArray decoded = new NDArrayQuantizer(spec, false).dequantize(device);
      assertEquals(packed.elementCount(), decoded.size());
      assertArrayEquals(host.data(), decoded.toFloatArray(), "host and device decode alike");
    }
    outcomes[1]++;
  }

  private static String codebookId(int bits) {
    return bits >= 1 && bits <= Codebook.MAX_BITS ? TestCodebooks.linear(bits).id() : "none";
  }

  /** Random floats with NaN, infinities and huge values among them. */
  private static float[] randomFloats(int count, Random r) {
    List<Float> specials = List.of(Float.NaN, Float.POSITIVE_INFINITY, -Float.MAX_VALUE, 0f, -0f);
    float[] v = new float[count];
    for (int i = 0; i < count; i++) {
      v[i] = r.nextInt(20) == 0 ? specials.get(r.nextInt(specials.size()))
          : (float) r.nextGaussian();
    }
    return v;
  }
}
