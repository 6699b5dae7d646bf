package org.shampoo4j.quant.dynamictree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.ArrayQuantizer;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.FloatTensor;
import org.shampoo4j.quant.PackedTensor;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.quant.testing.QuantizerChecks;

/** Block quantization with the dynamic tree map, on both quantizer paths. */
class DynamicTreeQuantizerTest {
  private static final int[] WIDTHS = {3, 4, 8};
  private final DynamicTreeMap map = new DynamicTreeMap();

  @Property(tries = 40, seed = "42")
  void javaAndDjlAgreeBitForBitWithinTheBound(
      @ForAll @IntRange(min = 0, max = 2) int width,
      @ForAll boolean offDiagonal,
      @ForAll long seed) {
    Random r = new Random(seed);
    Codebook cb = map.codebook(WIDTHS[width]);
    int[] shape = QuantizerChecks.randomShape(r, offDiagonal);
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    float[] x = QuantizerChecks.data(n, r);
    QuantizerChecks.assertAgreeAndBounded(
        QuantizerChecks.randomSpec(cb, n, r), x, shape, offDiagonal);
  }

  /**
   * DT has 1 but not -1, so idempotence holds when every block's absmax element is positive: it
   * decodes to exactly its scale, and requantizing sees the same scales and codes.
   */
  @Property(tries = 40, seed = "42")
  void idempotentWhenEveryBlockMaximumIsPositive(
      @ForAll @IntRange(min = 0, max = 2) int width,
      @ForAll @IntRange(min = 1, max = 3000) int length,
      @ForAll long seed) {
    Random r = new Random(seed);
    int blockSize = 64;
    float[] x = QuantizerChecks.data(length, r);
    for (int from = 0; from < length; from += blockSize) {
      int to = Math.min(length, from + blockSize);
      float max = 0f;
      int at = from;
      for (int i = from; i < to; i++) {
        if (Math.abs(x[i]) > max) {
          max = Math.abs(x[i]);
          at = i;
        }
      }
      x[at] = max;
    }
    ArrayQuantizer q = new ArrayQuantizer(QuantizationSpec.builder(map.codebook(WIDTHS[width]))
        .blockSize(blockSize).minQuantizedElements(0).build());
    PackedTensor once = q.quantize(FloatTensor.vector(x));
    assertEquals(once, q.quantize(q.dequantize(once)));
  }

  /**
   * Not idempotent in general: a block whose absmax element is negative decodes it to
   * -0.8875·s (4-bit), so requantizing sees a smaller scale and shifts the codes.
   */
  @Test
  void negativeBlockMaximumShrinksOnRequantization() {
    ArrayQuantizer q = new ArrayQuantizer(QuantizationSpec.builder(map.codebook(4))
        .blockSize(4).minQuantizedElements(0).build());
    PackedTensor once = q.quantize(FloatTensor.vector(-1f, 0.5f, 0.2f, 0f));
    float[] back = q.dequantize(once).data();
    assertArrayEquals(new float[] {-0.8875f, 0.4375f, 0.2125f, 0f}, back, 1e-6f);
    PackedTensor twice = q.quantize(FloatTensor.vector(back));
    assertArrayEquals(new float[] {0.8875f}, twice.scales());
    assertNotEquals(once, twice);
  }
}
