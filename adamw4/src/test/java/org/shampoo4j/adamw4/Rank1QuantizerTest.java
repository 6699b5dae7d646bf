package org.shampoo4j.adamw4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.Layout;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.quant.linear2.ZeroFreeLinearMap;

/** Laws of {@link Rank1Quantizer}: the round-trip bound, the stored maxima, exact memory. */
class Rank1QuantizerTest {
  private static final Codebook ZERO_FREE = new ZeroFreeLinearMap().codebook(4);
  private static final Codebook DYNAMIC_TREE = new DynamicTreeMap().codebook(4);

  /**
   * Every element comes back within the codebook's rounding error on the input's range times its
   * own rank-1 scale {@code min(rowMax_i, colMax_j)}, which is at most the block-wise bound.
   */
  @Property(tries = 60, seed = "42")
  void roundTripErrorIsBoundedByTheElementsRank1Scale(
      @ForAll @IntRange(min = 2, max = 48) int rows,
      @ForAll @IntRange(min = 2, max = 48) int cols,
      @ForAll long seed,
      @ForAll boolean nonNegative) {
    Codebook codebook = nonNegative ? ZERO_FREE : DYNAMIC_TREE;
    float[] x = heavyTailed(rows * cols, nonNegative, new Random(seed));
    float bound = roundingBound(codebook, nonNegative ? 0f : -1f);
    try (NDManager manager = NDManager.newBaseManager()) {
      Rank1Quantizer quantizer = new Rank1Quantizer(codebook, 0, true);
      Rank1PackedNDArray packed = quantizer.quantize(manager.create(x, new Shape(rows, cols)));
      float[] back = quantizer.dequantize(packed).toFloatArray();
      float[] rowMax = new float[rows];
      float[] colMax = new float[cols];
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          float a = Math.abs(x[i * cols + j]);
          rowMax[i] = Math.max(rowMax[i], a);
          colMax[j] = Math.max(colMax[j], a);
        }
      }
      assertArrayEquals(rowMax, packed.axisMaxima().get(0).toFloatArray(), "row maxima");
      assertArrayEquals(colMax, packed.axisMaxima().get(1).toFloatArray(), "column maxima");
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          int k = i * cols + j;
          float scale = Math.min(rowMax[i], colMax[j]);
          float error = Math.abs(back[k] - x[k]);
          assertTrue(error <= bound * scale * (1 + 1e-5f) + Float.MIN_NORMAL,
              "element (" + i + "," + j + ") x=" + x[k] + " back=" + back[k] + " scale=" + scale
                  + " bound=" + bound * scale);
        }
      }
    }
  }

  @Property(tries = 30, seed = "42")
  void memoryIsCodesPlusOneFloatPerRowAndColumn(
      @ForAll @IntRange(min = 2, max = 100) int rows,
      @ForAll @IntRange(min = 2, max = 100) int cols,
      @ForAll @IntRange(min = 2, max = 8) int bits) {
    Codebook codebook = new ZeroFreeLinearMap().codebook(bits);
    try (NDManager manager = NDManager.newBaseManager()) {
      Rank1Quantizer quantizer = new Rank1Quantizer(codebook, 0, false);
      Rank1PackedNDArray packed = quantizer.quantize(
          manager.randomUniform(0f, 1f, new Shape(rows, cols)));
      long n = (long) rows * cols;
      assertEquals(new MemoryFootprint((n * bits + 7) / 8, 4L * (rows + cols), 0),
          packed.memory());
    }
  }

  @Test
  void threeAxisTensorUsesTheMinimumOfItsThreeSliceMaxima() {
    try (NDManager manager = NDManager.newBaseManager()) {
      manager.getEngine().setRandomSeed(7);
      NDArray x = manager.randomUniform(0f, 1f, new Shape(6, 5, 4)).pow(4);
      Rank1Quantizer quantizer = new Rank1Quantizer(ZERO_FREE, 0, false);
      Rank1PackedNDArray packed = quantizer.quantize(x);
      assertEquals(3, packed.axisMaxima().size());
      NDArray scale = x.max(new int[] {1}, true).max(new int[] {2}, true)
          .minimum(x.max(new int[] {0}, true).max(new int[] {2}, true))
          .minimum(x.max(new int[] {0}, true).max(new int[] {1}, true));
      NDArray error = quantizer.dequantize(packed).sub(x).abs();
      // Zero-free 4-bit map on [0, 1]: at most 1/16 of the scale.
      assertTrue(error.lte(scale.mul(1f / 16 * (1 + 1e-5f))).all().getBoolean());
      assertEquals(new MemoryFootprint(60, 4 * 15, 0), packed.memory());
    }
  }

  @Test
  void losslessBelowTheThresholdAndRejectsBadInput() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.randomNormal(new Shape(8, 9));
      Rank1Quantizer lossless = new Rank1Quantizer(ZERO_FREE, Long.MAX_VALUE, true);
      Rank1PackedNDArray packed = lossless.quantize(x);
      assertEquals(Layout.FP32, packed.layout());
      assertArrayEquals(x.toFloatArray(), lossless.dequantize(packed).toFloatArray());
      assertEquals(MemoryFootprint.ofFp32(72), packed.memory());

      Rank1Quantizer checking = new Rank1Quantizer(ZERO_FREE, 0, true);
      IllegalArgumentException vector = assertThrows(IllegalArgumentException.class,
          () -> checking.quantize(manager.ones(new Shape(10))));
      assertTrue(vector.getMessage().contains("rank >= 2"), vector.getMessage());
      NDArray withNaN = manager.ones(new Shape(3, 4));
      withNaN.set(new ai.djl.ndarray.index.NDIndex(1, 2), Float.NaN);
      IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
          () -> checking.quantize(withNaN));
      assertTrue(nan.getMessage().contains("flat index 6"), nan.getMessage());
      Rank1PackedNDArray other = new Rank1Quantizer(new Linear2Map().codebook(4), 0, false)
          .quantize(manager.ones(new Shape(3, 4)));
      assertThrows(IllegalArgumentException.class, () -> checking.dequantize(other));
    }
  }

  /** Values spanning several orders of magnitude, like second moments of real networks. */
  static float[] heavyTailed(int n, boolean nonNegative, Random random) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      float magnitude = (float) Math.exp(3 * random.nextGaussian());
      x[i] = nonNegative || random.nextBoolean() ? magnitude : -magnitude;
      if (random.nextInt(20) == 0) {
        x[i] = 0f;
      }
    }
    return x;
  }

  /** The largest |y − decode(encode(y))| for y in [lower, 1]. */
  static float roundingBound(Codebook codebook, float lower) {
    float[] v = codebook.values();
    float worst = Math.max(Math.abs(lower - v[codebook.encode(lower)]), 1f - v[v.length - 1]);
    for (int j = 0; j + 1 < v.length; j++) {
      if (v[j + 1] > lower) {
        worst = Math.max(worst, (v[j + 1] - Math.max(v[j], lower)) * 0.5f);
      }
    }
    return worst;
  }
}
