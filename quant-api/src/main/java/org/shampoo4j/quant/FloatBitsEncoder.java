package org.shampoo4j.quant;

import java.util.Arrays;

/**
 * {@link Codebook#encode(float)} as a table lookup on the float's bit pattern, for the pure-Java
 * quantizer's inner loop. The top bits of a float (sign, exponent, leading mantissa bits) select a
 * bucket of consecutive floats; the table holds the code of the bucket's smallest value, and one
 * compare with the next threshold finishes the encoding. That is exact when no bucket holds more
 * than one threshold, which the constructor checks, refining the buckets if needed; for a
 * codebook with thresholds too close together for the largest table, {@link #usable()} is false
 * and callers use the codebook's own search.
 */
final class FloatBitsEncoder {
  private static final int MIN_INDEX_BITS = 12;
  private static final int MAX_INDEX_BITS = 20;

  private final byte[] table;
  private final float[] thresholds;
  private final int shift;

  private FloatBitsEncoder(byte[] table, float[] thresholds, int shift) {
    this.table = table;
    this.thresholds = thresholds;
    this.shift = shift;
  }

  /** The smallest exact table for {@code codebook}, or an unusable encoder if none fits. */
  static FloatBitsEncoder of(Codebook codebook) {
    float[] t = codebook.thresholds();
    // One more threshold at +infinity so that the last code's compare is always false.
    float[] padded = Arrays.copyOf(t, t.length + 1);
    padded[t.length] = Float.POSITIVE_INFINITY;
    for (int indexBits = MIN_INDEX_BITS; indexBits <= MAX_INDEX_BITS; indexBits++) {
      byte[] table = build(codebook, 32 - indexBits);
      if (table != null) {
        return new FloatBitsEncoder(table, padded, 32 - indexBits);
      }
    }
    return new FloatBitsEncoder(null, padded, 0);
  }

  // The table for buckets of 2^shift floats, or null if some bucket holds two thresholds.
  private static byte[] build(Codebook codebook, int shift) {
    int buckets = 1 << (32 - shift);
    byte[] table = new byte[buckets];
    int span = (1 << shift) - 1;
    for (int b = 0; b < buckets; b++) {
      int first = b << shift;
      int last = first | span;
      // Within a bucket, positive floats grow with their bits and negative ones shrink.
      float low = Float.intBitsToFloat(first < 0 ? last : first);
      float high = Float.intBitsToFloat(first < 0 ? first : last);
      int lowCode = codebook.encode(low);
      if (codebook.encode(high) - lowCode > 1) {
        return null;
      }
      table[b] = (byte) lowCode;
    }
    return table;
  }

  /** Whether the table is exact for this codebook. */
  boolean usable() {
    return table != null;
  }

  /**
   * The code of a finite {@code y}, equal to {@link Codebook#encode(float)}; needs {@link
   * #usable()}.
   */
  int encode(float y) {
    int code = table[Float.floatToRawIntBits(y) >>> shift] & 0xFF;
    return y > thresholds[code] ? code + 1 : code;
  }
}
