package org.shampoo4j.quant;

import java.util.Arrays;
import java.util.Objects;

/**
 * The pure-Java {@link BlockQuantizer}: plain loops over {@code float[]}, no boxing and no
 * per-element allocation. Thread-safe and immutable.
 */
public final class ArrayQuantizer implements BlockQuantizer<FloatTensor, PackedTensor> {
  private final QuantizationSpec spec;
  private final Codebook codebook;
  private final CodePacker packer;

  /** A quantizer applying {@code spec}. */
  public ArrayQuantizer(QuantizationSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.codebook = spec.codebook();
    this.packer = new CodePacker(codebook.bits());
  }

  @Override
  public QuantizationSpec spec() {
    return spec;
  }

  @Override
  public PackedTensor quantize(FloatTensor tensor) {
    float[] x = tensor.raw();
    int[] shape = tensor.shape();
    Finiteness.requireFinite(x, shape);
    if (!spec.quantizes(x.length)) {
      return fp32(shape, x);
    }
    return pack(shape, Layout.DENSE, x, new float[0]);
  }

  @Override
  public PackedTensor quantizeOffDiagonal(FloatTensor squareMatrix) {
    int[] shape = squareMatrix.shape();
    int n = Shapes.squareOrder(shape);
    float[] x = squareMatrix.raw();
    Finiteness.requireFinite(x, shape);
    if (!spec.quantizes(x.length)) {
      return fp32(shape, x);
    }
    float[] offDiagonal = x.clone();
    float[] diagonal = new float[n];
    for (int i = 0; i < n; i++) {
      diagonal[i] = offDiagonal[i * n + i];
      offDiagonal[i * n + i] = 0f;
    }
    return pack(shape, Layout.OFF_DIAGONAL, offDiagonal, diagonal);
  }

  @Override
  public FloatTensor dequantize(PackedTensor packed) {
    int[] shape = packed.shape();
    if (packed.layout() == Layout.FP32) {
      return FloatTensor.wrap(packed.fp32(), shape);
    }
    requireCompatible(packed);
    int n = Math.toIntExact(packed.elementCount());
    float[] scales = packed.rawScales();
    float[] values = codebook.values();
    float[] out = new float[n];
    if (codebook.bits() == 4) {
      decodeNibbles(packed.rawCodes(), values, scales, packed.blockSize(), out);
    } else {
      byte[] codes = packer.unpack(packed.rawCodes(), n);
      int blockSize = packed.blockSize();
      for (int from = 0, b = 0; from < n; from += blockSize, b++) {
        float s = scales[b];
        int to = Math.min(n, from + blockSize);
        for (int i = from; i < to; i++) {
          out[i] = values[codes[i] & 0xFF] * s;
        }
      }
    }
    if (packed.layout() == Layout.OFF_DIAGONAL) {
      float[] diagonal = packed.rawFp32();
      int order = shape[0];
      for (int i = 0; i < order; i++) {
        out[i * order + i] = diagonal[i];
      }
    }
    return FloatTensor.wrap(out, shape);
  }

  // The 4-bit case reads nibbles in place instead of unpacking to a byte per element first.
  private static void decodeNibbles(
      byte[] packed, float[] values, float[] scales, int blockSize, float[] out) {
    int n = out.length;
    for (int from = 0, b = 0; from < n; from += blockSize, b++) {
      float s = scales[b];
      int to = Math.min(n, from + blockSize);
      for (int i = from; i < to; i++) {
        int code = (packed[i >>> 1] >>> ((i & 1) << 2)) & 0x0F;
        out[i] = values[code] * s;
      }
    }
  }

  private void requireCompatible(PackedTensor packed) {
    if (!packed.codebookId().equals(codebook.id()) || packed.bits() != codebook.bits()) {
      throw new IllegalArgumentException(
          "packed tensor uses codebook " + packed.codebookId() + " but this quantizer uses "
              + codebook.id());
    }
  }

  private PackedTensor fp32(int[] shape, float[] x) {
    return new PackedTensor(
        shape, Layout.FP32, codebook.id(), codebook.bits(), spec.blockSize(),
        new byte[0], new float[0], x);
  }

  private PackedTensor pack(int[] shape, Layout layout, float[] x, float[] kept) {
    int blockSize = spec.blockSize();
    int blocks = Math.toIntExact(Shapes.blockCount(x.length, blockSize));
    float[] scales = new float[blocks];
    byte[] codes = new byte[x.length];
    int zeroCode = codebook.zeroCode();
    for (int b = 0; b < blocks; b++) {
      int from = b * blockSize;
      int to = Math.min(from + blockSize, x.length);
      float s = 0f;
      for (int i = from; i < to; i++) {
        s = Math.max(s, Math.abs(x[i]));
      }
      scales[b] = s;
      if (s == 0f) {
        Arrays.fill(codes, from, to, (byte) zeroCode);
        continue;
      }
      for (int i = from; i < to; i++) {
        codes[i] = (byte) codebook.encode(x[i] / s);
      }
    }
    return new PackedTensor(
        shape, layout, codebook.id(), codebook.bits(), blockSize, packer.pack(codes), scales, kept);
  }
}
