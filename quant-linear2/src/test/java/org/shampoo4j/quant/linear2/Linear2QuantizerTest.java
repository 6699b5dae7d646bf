package org.shampoo4j.quant.linear2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.quant.ArrayQuantizer;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.FloatTensor;
import org.shampoo4j.quant.PackedTensor;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.quant.testing.QuantizerChecks;

/** Block quantization with the Linear-2 and zero-free linear maps, on both quantizer paths. */
class Linear2QuantizerTest {
  private static final int[] WIDTHS = {3, 4, 8};

  @Property(tries = 40, seed = "42")
  void linear2JavaAndDjlAgreeBitForBitWithinTheBound(
      @ForAll @IntRange(min = 0, max = 2) int width,
      @ForAll boolean offDiagonal,
      @ForAll long seed) {
    Random r = new Random(seed);
    Codebook cb = new Linear2Map().codebook(WIDTHS[width]);
    int[] shape = QuantizerChecks.randomShape(r, offDiagonal);
    int n = product(shape);
    float[] x = QuantizerChecks.data(n, r);
    QuantizerChecks.assertAgreeAndBounded(
        QuantizerChecks.randomSpec(cb, n, r), x, shape, offDiagonal);
  }

  @Property(tries = 20, seed = "42")
  void zeroFreeMapAgreesOnNonNegativeDataAndNeverDecodesNonZeroBlocksToZero(
      @ForAll @IntRange(min = 0, max = 2) int width, @ForAll long seed) {
    Random r = new Random(seed);
    Codebook cb = new ZeroFreeLinearMap().codebook(WIDTHS[width]);
    int[] shape = QuantizerChecks.randomShape(r, false);
    int n = product(shape);
    float[] x = QuantizerChecks.data(n, r);
    for (int i = 0; i < n; i++) {
      x[i] = x[i] * x[i];
    }
    QuantizationSpec spec =
        QuantizationSpec.builder(cb).blockSize(128).minQuantizedElements(0).build();
    QuantizerChecks.assertAgreeAndBounded(spec, x, shape, false);
    ArrayQuantizer q = new ArrayQuantizer(spec);
    PackedTensor p = q.quantize(FloatTensor.of(x, shape));
    float[] back = q.dequantize(p).data();
    float[] scales = p.scales();
    for (int i = 0; i < n; i++) {
      float s = scales[i / 128];
      assertTrue(back[i] >= s / cb.size(), "element " + i + " decoded below scale / 2^b");
    }
  }

  /** Linear-2 contains -1 and 1, so requantizing a dequantized tensor changes nothing. */
  @Property(tries = 40, seed = "42")
  void linear2QuantizationIsIdempotent(
      @ForAll @IntRange(min = 0, max = 2) int width,
      @ForAll @IntRange(min = 1, max = 70) int n,
      @ForAll boolean offDiagonal,
      @ForAll long seed) {
    Random r = new Random(seed);
    QuantizationSpec spec = QuantizerChecks.randomSpec(
        new Linear2Map().codebook(WIDTHS[width]), (long) n * n, r);
    ArrayQuantizer q = new ArrayQuantizer(spec);
    FloatTensor x = FloatTensor.of(QuantizerChecks.data(n * n, r), n, n);
    PackedTensor once = offDiagonal ? q.quantizeOffDiagonal(x) : q.quantize(x);
    FloatTensor back = q.dequantize(once);
    assertEquals(once, offDiagonal ? q.quantizeOffDiagonal(back) : q.quantize(back));
  }

  private static int product(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }
}
