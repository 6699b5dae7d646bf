package org.shampoo4j.quant.dynamictree;

import java.util.Arrays;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.Float32Linspace;
import org.shampoo4j.quant.QuantizationMap;

/**
 * The signed dynamic tree map of 8-bit optimizers (Dettmers et al.), used as "DT" in docs/algorithms.md §2.
 *
 * <p>A code is read as a sign bit, then an exponent given by the number of leading zero bits, then
 * an indicator bit, then a linear fraction in the remaining bits. With {@code b} bits there are
 * {@code E = b - 1} exponent levels {@code i = 0 .. E-1}; level {@code i} has {@code 2^i} fraction
 * values (more fraction bits are left the fewer leading zeros there are). Each level splits
 * {@code [0.1, 1]} into {@code 2^i} equal intervals, takes their midpoints and multiplies them by
 * {@code 10^(i - (E - 1))}, so the largest level spans {@code [0.1, 1]} and every smaller level is
 * a decade lower. The positive values, their negatives, 0 and 1 make {@code 1 + 1 + 2·(2^E - 1)
 * = 2^b} values. For 4 bits this yields ±0.0055, ±0.0325, ±0.0775, ±0.2125, ±0.4375, ±0.6625,
 * ±0.8875, 0 and 1. Every value is computed in float32 exactly as the official code builds it with
 * torch (float32 {@code linspace} boundaries, float32 means, one float32 product with the decade;
 * docs/algorithms.md §8), so codes match the official kernels bit for bit. Stateless and immutable.
 */
public final class DynamicTreeMap implements QuantizationMap {
  /** The name stored in codebook ids: {@code dynamic-tree}. */
  public static final String NAME = "dynamic-tree";

  /** Smallest width with at least one exponent level besides the sign bit. */
  public static final int MIN_BITS = 2;

  /** Creates the map. */
  public DynamicTreeMap() {}

  @Override
  public String name() {
    return NAME;
  }

  /**
   * The dynamic tree codebook of {@code bits} bits.
   *
   * @throws IllegalArgumentException if {@code bits} is outside {@code [2, 8]}
   */
  @Override
  public Codebook codebook(int bits) {
    if (bits < MIN_BITS || bits > Codebook.MAX_BITS) {
      throw new IllegalArgumentException(
          "the dynamic tree map is defined for 2 to " + Codebook.MAX_BITS + " bits, got " + bits
              + " (it needs a sign bit and at least one exponent bit)");
    }
    int exponentLevels = bits - 1;
    int size = 1 << bits;
    float[] values = new float[size];
    int k = 0;
    for (int level = 0; level < exponentLevels; level++) {
      int fractions = 1 << level;
      float[] boundaries = Float32Linspace.of(0.1, 1, fractions + 1);
      // 10^(level - (E - 1)) as a double rounded once to float32, like a Python number times a
      // float32 tensor.
      float decade = (float) Math.pow(10.0, level - (exponentLevels - 1));
      for (int f = 0; f < fractions; f++) {
        // Midpoint of the f-th of `fractions` equal intervals of [0.1, 1].
        float mean = (boundaries[f] + boundaries[f + 1]) / 2f;
        float v = decade * mean;
        values[k++] = v;
        values[k++] = -v;
      }
    }
    values[k++] = 0f;
    values[k++] = 1f;
    if (k != size) {
      throw new IllegalStateException("dynamic tree construction produced " + k + " of " + size
          + " values for " + bits + " bits");
    }
    Arrays.sort(values);
    return Codebook.of(NAME, bits, values);
  }

  @Override
  public String toString() {
    return "DynamicTreeMap";
  }
}
