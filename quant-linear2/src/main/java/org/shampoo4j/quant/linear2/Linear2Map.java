package org.shampoo4j.quant.linear2;

import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.Float32Linspace;
import org.shampoo4j.quant.QuantizationMap;

/**
 * The Linear-2 ("linear square") map of 4-bit Shampoo (docs/algorithms.md §2).
 *
 * <p>For {@code b} bits: {@code t_j = -1 + 2j/(2^b - 1)}, {@code c_j = sign(t_j)·t_j²}, and then
 * {@code c_(2^(b-1)-1)} is set to 0, so the map has an exact zero (needed because the quantized
 * matrices are mostly near zero off the diagonal). Squaring puts more codes near zero, where
 * eigenvector entries concentrate. The values are computed in float32 exactly as the official code
 * builds them with torch (a float32 {@code linspace}, then a float32 square; docs/algorithms.md §8), so codes
 * match the official kernels bit for bit. Stateless and immutable.
 */
public final class Linear2Map implements QuantizationMap {
  /** The name stored in codebook ids: {@code linear2}. */
  public static final String NAME = "linear2";

  /** Smallest width at which the rule yields a usable map (b = 1 would lose the value -1). */
  public static final int MIN_BITS = 2;

  /** Creates the map. */
  public Linear2Map() {}

  @Override
  public String name() {
    return NAME;
  }

  /**
   * The Linear-2 codebook of {@code bits} bits.
   *
   * @throws IllegalArgumentException if {@code bits} is outside {@code [2, 8]}
   */
  @Override
  public Codebook codebook(int bits) {
    if (bits < MIN_BITS || bits > Codebook.MAX_BITS) {
      throw new IllegalArgumentException(
          "the Linear-2 map is defined for 2 to " + Codebook.MAX_BITS + " bits, got " + bits
              + " (at 1 bit the zeroed code would leave only {0, 1})");
    }
    int size = 1 << bits;
    float[] values = Float32Linspace.of(-1, 1, size);
    values[(size >> 1) - 1] = 0f;
    for (int j = 0; j < size; j++) {
      float t = values[j];
      values[j] = Math.signum(t) * (t * t);
    }
    // Codebook.of rejects values that are not strictly increasing with a message naming them.
    return Codebook.of(NAME, bits, values);
  }

  @Override
  public String toString() {
    return "Linear2Map";
  }
}
