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
  // The threshold above the bucket's first code, per bucket: the second load depends on the
  // bucket index only, not on the first load, so both issue together.
  private final float[] next;
  private final int shift;

  private FloatBitsEncoder(byte[] table, float[] next, int shift) {
    this.table = table;
    this.next = next;
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
        float[] next = new float[table.length];
        for (int b = 0; b < table.length; b++) {
          next[b] = padded[table[b] & 0xFF];
        }
        return new FloatBitsEncoder(table, next, 32 - indexBits);
      }
    }
    return new FloatBitsEncoder(null, null, 0);
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
    int bucket = Float.floatToRawIntBits(y) >>> shift;
    int code = table[bucket] & 0xFF;
    return y > next[bucket] ? code + 1 : code;
  }

  /**
   * Encodes {@code x[i]·inverse} for i in [from, to) straight into 4-bit nibbles of {@code packed}
   * (element 2k low, 2k + 1 high). A range may start or end inside a byte (row blocks of odd
   * rows); those nibbles are or-ed into the byte, which must start zeroed.
   */
  void encodeNibbles(float[] x, float inverse, int from, int to, byte[] packed) {
    byte[] codes = table;
    float[] above = next;
    int s = shift;
    int i = from;
    if ((i & 1) == 1 && i < to) {
      packed[i >>> 1] |= (byte) (encode(x[i] * inverse) << 4);
      i++;
    }
    for (; i + 1 < to; i += 2) {
      float y0 = x[i] * inverse;
      float y1 = x[i + 1] * inverse;
      int b0 = Float.floatToRawIntBits(y0) >>> s;
      int b1 = Float.floatToRawIntBits(y1) >>> s;
      int c0 = (codes[b0] & 0xFF) + (y0 > above[b0] ? 1 : 0);
      int c1 = (codes[b1] & 0xFF) + (y1 > above[b1] ? 1 : 0);
      packed[i >>> 1] = (byte) (c0 | (c1 << 4));
    }
    if (i < to) {
      packed[i >>> 1] |= (byte) encode(x[i] * inverse);
    }
  }
}
