package org.shampoo4j.quant;

/**
 * Packs codes of {@code bits} bits into a little-endian bit stream: code i occupies bits
 * {@code [i*bits, (i+1)*bits)} counted from the least significant bit of byte 0. For 4 bits this is
 * docs/algorithms.md §2's layout (element 2i in the low nibble, 2i+1 in the high nibble); for 8 bits one code per
 * byte. Unused trailing bits are zero, so an odd length pads its last nibble with code 0.
 */
public final class CodePacker {
  private final int bits;
  private final int mask;

  /**
   * A packer for the given width.
   *
   * @param bits 1 to 8
   */
  public CodePacker(int bits) {
    if (bits < 1 || bits > Codebook.MAX_BITS) {
      throw new IllegalArgumentException("bits must be in [1, 8], got " + bits);
    }
    this.bits = bits;
    this.mask = (1 << bits) - 1;
  }

  /** Code width in bits. */
  public int bits() {
    return bits;
  }

  /** Bytes needed for {@code count} codes: {@code ceil(count * bits / 8)}. */
  public long packedLength(long count) {
    if (count < 0) {
      throw new IllegalArgumentException("count must be non-negative");
    }
    return (count * bits + 7) / 8;
  }

  /**
   * Packs codes (each in {@code [0, 2^bits)}, read as unsigned bytes).
   *
   * @throws IllegalArgumentException if a code does not fit in {@code bits}
   */
  public byte[] pack(byte[] codes) {
    byte[] out = new byte[Math.toIntExact(packedLength(codes.length))];
    if (bits == 4) {
      packNibbles(codes, out);
      return out;
    }
    long bit = 0;
    for (int i = 0; i < codes.length; i++, bit += bits) {
      int c = codes[i] & 0xFF;
      if (c > mask) {
        throw new IllegalArgumentException("code " + c + " at " + i + " exceeds " + bits + " bits");
      }
      int byteIndex = (int) (bit >>> 3);
      int shift = (int) (bit & 7);
      int shifted = c << shift;
      out[byteIndex] |= (byte) shifted;
      if (shift + bits > 8) {
        out[byteIndex + 1] |= (byte) (shifted >>> 8);
      }
    }
    return out;
  }

  /**
   * Unpacks {@code count} codes.
   *
   * @throws IllegalArgumentException if {@code packed} has not exactly the bytes {@code count} needs
   */
  public byte[] unpack(byte[] packed, int count) {
    if (packed.length != packedLength(count)) {
      throw new IllegalArgumentException(
          count + " codes of " + bits + " bits need " + packedLength(count) + " bytes, got "
              + packed.length);
    }
    byte[] codes = new byte[count];
    if (bits == 4) {
      for (int i = 0; i < count; i++) {
        int b = packed[i >>> 1];
        codes[i] = (byte) ((i & 1) == 0 ? b & 0x0F : (b >>> 4) & 0x0F);
      }
      return codes;
    }
    long bit = 0;
    for (int i = 0; i < count; i++, bit += bits) {
      int byteIndex = (int) (bit >>> 3);
      int shift = (int) (bit & 7);
      int word = packed[byteIndex] & 0xFF;
      if (shift + bits > 8) {
        word |= (packed[byteIndex + 1] & 0xFF) << 8;
      }
      codes[i] = (byte) ((word >>> shift) & mask);
    }
    return codes;
  }

  private static void packNibbles(byte[] codes, byte[] out) {
    for (int i = 0; i < codes.length; i++) {
      int c = codes[i] & 0xFF;
      if (c > 0x0F) {
        throw new IllegalArgumentException("code " + c + " at " + i + " exceeds 4 bits");
      }
      out[i >>> 1] |= (byte) ((i & 1) == 0 ? c : c << 4);
    }
  }
}
