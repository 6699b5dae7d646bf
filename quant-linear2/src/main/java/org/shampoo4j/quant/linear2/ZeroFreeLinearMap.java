package org.shampoo4j.quant.linear2;

import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.QuantizationMap;

/**
 * The linear map without zero of 4-bit AdamW's second moment (docs/algorithms.md §5): code {@code j} has value
 * {@code (j + 1) / 2^b}, so values run from {@code 2^-b} to 1 and never decode to 0. A zero code on
 * the second moment would make {@code 1/√v} blow up; with this map the smallest decoded value of a
 * block is {@code 2^-b} times its scale. Meant for non-negative tensors: a negative input encodes to
 * code 0 like every value below the first midpoint. Stateless and immutable.
 */
public final class ZeroFreeLinearMap implements QuantizationMap {
  /** The name stored in codebook ids: {@code linear-nozero}. */
  public static final String NAME = "linear-nozero";

  /** Creates the map. */
  public ZeroFreeLinearMap() {}

  @Override
  public String name() {
    return NAME;
  }

  /**
   * The zero-free linear codebook of {@code bits} bits.
   *
   * @throws IllegalArgumentException if {@code bits} is outside {@code [1, 8]}
   */
  @Override
  public Codebook codebook(int bits) {
    if (bits < 1 || bits > Codebook.MAX_BITS) {
      throw new IllegalArgumentException(
          "the zero-free linear map is defined for 1 to " + Codebook.MAX_BITS + " bits, got "
              + bits);
    }
    int size = 1 << bits;
    float[] values = new float[size];
    for (int j = 0; j < size; j++) {
      // Exact in float32: a small integer over a power of two.
      values[j] = (float) (j + 1) / size;
    }
    return Codebook.of(NAME, bits, values);
  }

  @Override
  public String toString() {
    return "ZeroFreeLinearMap";
  }
}
