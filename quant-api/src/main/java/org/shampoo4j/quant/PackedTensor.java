package org.shampoo4j.quant;

import java.util.Arrays;
import java.util.Objects;

/**
 * A quantized tensor held on the Java heap: packed codes, fp32 block scales and the fp32 values
 * kept aside (the diagonal in {@link Layout#OFF_DIAGONAL}, everything in {@link Layout#FP32}).
 *
 * <p>Immutable: the constructor copies its arrays and the accessors return copies. Two packed
 * tensors are equal when every field is equal bit for bit, which is how the pure-Java and DJL
 * paths are compared.
 */
public final class PackedTensor implements QuantizedTensor {
  private final PackedFormat format;
  private final byte[] codes;
  private final float[] scales;
  private final float[] fp32;

  /**
   * Creates a packed tensor with {@link Blocking#FLAT} blocks; see {@link #PackedTensor(int[],
   * Layout, String, int, int, Blocking, byte[], float[], float[]) the full constructor}.
   */
  public PackedTensor(
      int[] shape,
      Layout layout,
      String codebookId,
      int bits,
      int blockSize,
      byte[] codes,
      float[] scales,
      float[] fp32) {
    this(shape, layout, codebookId, bits, blockSize, Blocking.FLAT, codes, scales, fp32);
  }

  /**
   * Creates a packed tensor and checks that its buffer sizes add up.
   *
   * @param shape logical shape; {@link Layout#OFF_DIAGONAL} needs a square matrix
   * @param layout how values are stored
   * @param codebookId {@link Codebook#id()} of the codebook the codes index into
   * @param bits code width
   * @param blockSize elements per scale
   * @param blocking how the blocks are laid out (which scale an element uses)
   * @param codes packed codes ({@link CodePacker} layout); empty for {@link Layout#FP32}
   * @param scales one absmax scale per block; empty for {@link Layout#FP32}
   * @param fp32 the diagonal for {@link Layout#OFF_DIAGONAL}, all values for {@link Layout#FP32},
   *     empty for {@link Layout#DENSE}
   * @throws IllegalArgumentException if the sizes do not match the shape and layout
   */
  public PackedTensor(
      int[] shape,
      Layout layout,
      String codebookId,
      int bits,
      int blockSize,
      Blocking blocking,
      byte[] codes,
      float[] scales,
      float[] fp32) {
    this(shape, layout, codebookId, bits, blockSize, blocking, codes, scales, fp32, true);
  }

  /**
   * A packed tensor that takes ownership of buffers the caller made and will not touch again (the
   * quantizer's fresh arrays), so quantizing copies nothing.
   */
  static PackedTensor owning(int[] shape, Layout layout, String codebookId, int bits,
      int blockSize, Blocking blocking, byte[] codes, float[] scales, float[] fp32) {
    return new PackedTensor(
        shape, layout, codebookId, bits, blockSize, blocking, codes, scales, fp32, false);
  }

  private PackedTensor(int[] shape, Layout layout, String codebookId, int bits, int blockSize,
      Blocking blocking, byte[] codes, float[] scales, float[] fp32, boolean copy) {
    this.format = new PackedFormat(shape, layout, codebookId, bits, blockSize, blocking);
    Objects.requireNonNull(codes, "codes");
    Objects.requireNonNull(scales, "scales");
    Objects.requireNonNull(fp32, "fp32");
    this.codes = copy ? codes.clone() : codes;
    this.scales = copy ? scales.clone() : scales;
    this.fp32 = copy ? fp32.clone() : fp32;
    validate();
  }

  private void validate() {
    int[] shape = format.shape();
    Layout layout = format.layout();
    int bits = format.bits();
    int blockSize = format.blockSize();
    Blocking blocking = format.blocking();
    long n = Shapes.elementCount(shape);
    if (bits < 1 || bits > Codebook.MAX_BITS) {
      throw new IllegalArgumentException("bits must be in [1, 8], got " + bits);
    }
    if (blockSize <= 0) {
      throw new IllegalArgumentException("block size must be positive, got " + blockSize);
    }
    long expectCodes;
    long expectScales;
    long expectFp32;
    switch (layout) {
      case FP32 -> {
        expectCodes = 0;
        expectScales = 0;
        expectFp32 = n;
      }
      case OFF_DIAGONAL -> {
        if (shape.length != 2 || shape[0] != shape[1]) {
          throw new IllegalArgumentException(
              "off-diagonal layout needs a square matrix, got shape " + Arrays.toString(shape));
        }
        expectCodes = new CodePacker(bits).packedLength(n);
        expectScales = blocking.blockCount(shape, blockSize);
        expectFp32 = shape[0];
      }
      default -> {
        expectCodes = new CodePacker(bits).packedLength(n);
        expectScales = blocking.blockCount(shape, blockSize);
        expectFp32 = 0;
      }
    }
    check("codes", codes.length, expectCodes);
    check("scales", scales.length, expectScales);
    check("fp32 values", fp32.length, expectFp32);
  }

  private void check(String what, long actual, long expected) {
    if (actual != expected) {
      throw new IllegalArgumentException(
          "packed tensor of shape " + Arrays.toString(format.shape()) + " (" + format.layout()
              + ", " + format.bits() + "-bit, block " + format.blockSize() + " "
              + format.blocking() + ") needs " + expected + " " + what
              + ", got "
              + actual);
    }
  }

  @Override
  public PackedFormat format() {
    return format;
  }

  /** A copy of the packed codes. */
  public byte[] codes() {
    return codes.clone();
  }

  /** A copy of the block scales. */
  public float[] scales() {
    return scales.clone();
  }

  /** A copy of the values kept in fp32 (see {@link #PackedTensor the constructor}). */
  public float[] fp32() {
    return fp32.clone();
  }

  // Read-only views for the quantizer, which must not copy large buffers on every dequantize.
  byte[] rawCodes() {
    return codes;
  }

  float[] rawScales() {
    return scales;
  }

  float[] rawFp32() {
    return fp32;
  }

  /** Exact bytes held: codes, plus 4 per scale, plus 4 per fp32 value. */
  public long bytes() {
    return memory().total();
  }

  @Override
  public MemoryFootprint memory() {
    return new MemoryFootprint(codes.length, 4L * scales.length, 4L * fp32.length);
  }

  @Override
  public PackedTensor toHost() {
    return this;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PackedTensor p
        && format.equals(p.format)
        && Arrays.equals(codes, p.codes)
        && Arrays.equals(scales, p.scales)
        && Arrays.equals(fp32, p.fp32);
  }

  @Override
  public int hashCode() {
    int h = format.hashCode();
    h = 31 * h + Arrays.hashCode(codes);
    h = 31 * h + Arrays.hashCode(scales);
    return 31 * h + Arrays.hashCode(fp32);
  }

  @Override
  public String toString() {
    return "PackedTensor[" + format + " bytes=" + bytes() + "]";
  }
}
