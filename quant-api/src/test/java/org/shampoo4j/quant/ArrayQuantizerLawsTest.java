package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.testing.QuantizerChecks;

/** Laws of the pure-Java block quantizer, over random codebooks, block sizes and lengths. */
class ArrayQuantizerLawsTest {
  private static QuantizationSpec spec(Codebook cb, int blockSize) {
    return QuantizationSpec.builder(cb).blockSize(blockSize).minQuantizedElements(0).build();
  }

  /** |x - D(Q(x))| <= maxRoundingError · (scale of x's block), plus float32 rounding slack. */
  static void assertWithinBound(Codebook cb, float[] x, float[] back, float[] scales, int block) {
    for (int i = 0; i < x.length; i++) {
      float s = scales[i / block];
      float bound = cb.maxRoundingError() * s + 1e-6f * s;
      assertTrue(Math.abs(x[i] - back[i]) <= bound,
          "element " + i + ": " + x[i] + " came back as " + back[i] + ", bound " + bound);
    }
  }

  @Property(tries = 100, seed = "42")
  void roundTripErrorIsBoundedByTheCodebookAndTheBlockScale(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 200) int blockSize,
      @ForAll @IntRange(min = 1, max = 3000) int length,
      @ForAll long seed) {
    Random r = new Random(seed);
    Codebook cb = TestCodebooks.random(bits, r, r.nextBoolean());
    float[] x = QuantizerChecks.data(length, r);
    ArrayQuantizer q = new ArrayQuantizer(spec(cb, blockSize));
    PackedTensor p = q.quantize(FloatTensor.vector(x));
    assertEquals(Layout.DENSE, p.layout());
    float[] back = q.dequantize(p).data();
    assertWithinBound(cb, x, back, p.scales(), blockSize);
    // Each scale is its block's absolute maximum.
    float[] scales = p.scales();
    for (int b = 0; b < scales.length; b++) {
      float max = 0f;
      for (int i = b * blockSize; i < Math.min(length, (b + 1) * blockSize); i++) {
        max = Math.max(max, Math.abs(x[i]));
      }
      assertEquals(max, scales[b], "scale of block " + b);
    }
  }

  @Property(tries = 60, seed = "42")
  void offDiagonalModeKeepsTheDiagonalExactAndBoundsTheRest(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 80) int n,
      @ForAll @IntRange(min = 1, max = 130) int blockSize,
      @ForAll long seed) {
    Random r = new Random(seed);
    Codebook cb = TestCodebooks.random(bits, r, true);
    float[] x = QuantizerChecks.data(n * n, r);
    ArrayQuantizer q = new ArrayQuantizer(spec(cb, blockSize));
    PackedTensor p = q.quantizeOffDiagonal(FloatTensor.of(x, n, n));
    assertEquals(Layout.OFF_DIAGONAL, p.layout());
    float[] back = q.dequantize(p).data();
    float[] diagonal = p.fp32();
    float[] offDiagonal = x.clone();
    for (int i = 0; i < n; i++) {
      assertEquals(x[i * n + i], back[i * n + i], "diagonal element " + i);
      assertEquals(x[i * n + i], diagonal[i]);
      offDiagonal[i * n + i] = 0f;
    }
    // The diagonal never sets a scale: scales are those of the matrix with a zeroed diagonal.
    assertArrayEquals(q.quantize(FloatTensor.vector(offDiagonal)).scales(), p.scales());
    float[] backOff = back.clone();
    for (int i = 0; i < n; i++) {
      backOff[i * n + i] = 0f;
    }
    assertWithinBound(cb, offDiagonal, backOff, p.scales(), blockSize);
  }

  /**
   * Q(D(Q(x))) == Q(x) for codebooks that contain -1 and 1: the absmax element of each block
   * decodes to exactly its scale, so requantizing sees the same scales and the same codes.
   */
  @Property(tries = 100, seed = "42")
  void quantizationIsIdempotentForCodebooksWithBothEnds(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 130) int blockSize,
      @ForAll @IntRange(min = 1, max = 60) int n,
      @ForAll boolean offDiagonal,
      @ForAll long seed) {
    Random r = new Random(seed);
    Codebook cb = TestCodebooks.random(bits, r, true);
    ArrayQuantizer q = new ArrayQuantizer(spec(cb, blockSize));
    FloatTensor x = FloatTensor.of(QuantizerChecks.data(n * n, r), n, n);
    PackedTensor once = offDiagonal ? q.quantizeOffDiagonal(x) : q.quantize(x);
    FloatTensor back = q.dequantize(once);
    PackedTensor twice = offDiagonal ? q.quantizeOffDiagonal(back) : q.quantize(back);
    assertEquals(once, twice);
    assertEquals(back, q.dequantize(twice));
  }

  @Property(tries = 30, seed = "42")
  void tensorsBelowTheMinimumSizeStayExactlyFp32(
      @ForAll @IntRange(min = 1, max = 3) int rank, @ForAll long seed) {
    Random r = new Random(seed);
    int[] shape = new int[rank];
    int n = 1;
    for (int d = 0; d < rank; d++) {
      shape[d] = 1 + r.nextInt(12);
      n *= shape[d];
    }
    FloatTensor x = FloatTensor.of(QuantizerChecks.data(n, r), shape);
    Codebook cb = TestCodebooks.linear(4);
    ArrayQuantizer below = new ArrayQuantizer(
        QuantizationSpec.builder(cb).minQuantizedElements(n + 1).build());
    PackedTensor p = below.quantize(x);
    assertEquals(Layout.FP32, p.layout());
    assertEquals(x, below.dequantize(p));
    assertEquals(4L * n, p.bytes());
    ArrayQuantizer atMinimum = new ArrayQuantizer(
        QuantizationSpec.builder(cb).minQuantizedElements(n).build());
    assertEquals(Layout.DENSE, atMinimum.quantize(x).layout());
    assertArrayEquals(shape, atMinimum.dequantize(atMinimum.quantize(x)).shape());
  }

  @Test
  void defaultSpecKeepsSmallMatricesFp32AndQuantizesLargeOnes() {
    ArrayQuantizer q = new ArrayQuantizer(QuantizationSpec.of(TestCodebooks.squared(4)));
    Random r = new Random(3);
    assertEquals(Layout.FP32, q.quantize(FloatTensor.of(QuantizerChecks.data(63 * 64, r), 63, 64))
        .layout());
    assertEquals(Layout.DENSE, q.quantize(FloatTensor.of(QuantizerChecks.data(4096, r), 64, 64))
        .layout());
    assertEquals(Layout.FP32,
        q.quantizeOffDiagonal(FloatTensor.of(QuantizerChecks.data(63 * 63, r), 63, 63)).layout());
  }

  @Test
  void allZeroBlocksUseTheZeroCodeAndDecodeToZero() {
    Codebook cb = TestCodebooks.squared(4);
    ArrayQuantizer q = new ArrayQuantizer(spec(cb, 4));
    float[] x = {0f, 0f, 0f, 0f, 0.5f, -1f, 0f, 0.25f, 0f};
    PackedTensor p = q.quantize(FloatTensor.vector(x));
    assertArrayEquals(new float[] {0f, 1f, 0f}, p.scales());
    byte[] codes = new CodePacker(4).unpack(p.codes(), x.length);
    for (int i = 0; i < 4; i++) {
      assertEquals(cb.zeroCode(), codes[i]);
    }
    float[] back = q.dequantize(p).data();
    for (int i : new int[] {0, 1, 2, 3, 8}) {
      assertEquals(0f, back[i], 0f);
    }
    assertEquals(-1f, back[5]);
  }

  @Test
  void knownExampleWithTheSquaredCodebook() {
    // 2-bit signed squares: t = -1, -1/3, 1/3, 1 -> -1, -1/9, 1/9, 1; midpoints -5/9, 0, 5/9.
    // Block [2, -0.2, 1] / 2 = [1, -0.1, 0.5] -> codes 3, 1, 2; block [0.3] / 0.3 -> code 3.
    Codebook cb = TestCodebooks.squared(2);
    ArrayQuantizer q = new ArrayQuantizer(spec(cb, 3));
    PackedTensor p = q.quantize(FloatTensor.vector(2f, -0.2f, 1f, 0.3f));
    assertArrayEquals(new float[] {2f, 0.3f}, p.scales());
    assertArrayEquals(new byte[] {3, 1, 2, 3}, new CodePacker(2).unpack(p.codes(), 4));
    float[] back = q.dequantize(p).data();
    assertArrayEquals(new float[] {2f, -2f / 9, 2f / 9, 0.3f}, back, 1e-7f);
  }
}
