package org.shampoo4j.quant;

import java.util.Arrays;
import java.util.Objects;

/**
 * The pure-Java {@link BlockQuantizer}: plain loops over {@code float[]}, no boxing and no
 * per-element allocation. Codes come from a lookup on the float's bits ({@code FloatBitsEncoder},
 * exact for the codebook, checked when the quantizer is built), so quantizing runs at memory-ish
 * speed on one core. Thread-safe and immutable.
 */
public final class ArrayQuantizer implements BlockQuantizer<FloatTensor, PackedTensor> {
  private final QuantizationSpec spec;
  private final Codebook codebook;
  private final CodePacker packer;
  private final FloatBitsEncoder encoder;

  /** A quantizer applying {@code spec}. */
  public ArrayQuantizer(QuantizationSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.codebook = spec.codebook();
    this.packer = new CodePacker(codebook.bits());
    this.encoder = FloatBitsEncoder.of(codebook);
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
    BlockGrid grid = packed.grid();
    int blocks = scales.length;
    if (codebook.bits() == 4) {
      byte[] nibbles = packed.rawCodes();
      for (int b = 0; b < blocks; b++) {
        float s = scales[b];
        int to = (int) grid.to(b);
        for (int i = (int) grid.from(b); i < to; i++) {
          // Read the nibble in place instead of unpacking to a byte per element first.
          int code = (nibbles[i >>> 1] >>> ((i & 1) << 2)) & 0x0F;
          out[i] = values[code] * s;
        }
      }
    } else {
      byte[] codes = packer.unpack(packed.rawCodes(), n);
      for (int b = 0; b < blocks; b++) {
        float s = scales[b];
        int to = (int) grid.to(b);
        for (int i = (int) grid.from(b); i < to; i++) {
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

  private void requireCompatible(PackedTensor packed) {
    if (!packed.codebookId().equals(codebook.id()) || packed.bits() != codebook.bits()) {
      throw new IllegalArgumentException(
          "packed tensor uses codebook " + packed.codebookId() + " but this quantizer uses "
              + codebook.id());
    }
  }

  private PackedTensor fp32(int[] shape, float[] x) {
    return new PackedTensor(
        shape, Layout.FP32, codebook.id(), codebook.bits(), spec.blockSize(), spec.blocking(),
        new byte[0], new float[0], x);
  }

  private PackedTensor pack(int[] shape, Layout layout, float[] x, float[] kept) {
    BlockGrid grid = spec.grid(shape);
    int blocks = Math.toIntExact(grid.blockCount());
    float[] scales = new float[blocks];
    byte[] codes = new byte[x.length];
    int zeroCode = codebook.zeroCode();
    for (int b = 0; b < blocks; b++) {
      int from = (int) grid.from(b);
      int to = (int) grid.to(b);
      float s = 0f;
      for (int i = from; i < to; i++) {
        s = Math.max(s, Math.abs(x[i]));
      }
      scales[b] = s;
      if (s == 0f) {
        Arrays.fill(codes, from, to, (byte) zeroCode);
      } else {
        // The official kernels scale by the float32 reciprocal (two roundings), not by x / s.
        encode(x, 1f / s, from, to, codes);
      }
    }
    byte[] packedCodes = codebook.bits() == 4 ? packNibbles(codes) : packer.pack(codes);
    return new PackedTensor(shape, layout, codebook.id(), codebook.bits(), spec.blockSize(),
        spec.blocking(), packedCodes, scales, kept);
  }

  private void encode(float[] x, float inverse, int from, int to, byte[] codes) {
    if (encoder.usable()) {
      for (int i = from; i < to; i++) {
        codes[i] = (byte) encoder.encode(x[i] * inverse);
      }
    } else {
      for (int i = from; i < to; i++) {
        codes[i] = (byte) codebook.encode(x[i] * inverse);
      }
    }
  }

  // Codes known to fit 4 bits, two per byte (CodePacker's layout without its per-code checks).
  private static byte[] packNibbles(byte[] codes) {
    byte[] out = new byte[(codes.length + 1) >>> 1];
    int pairs = codes.length >>> 1;
    for (int k = 0; k < pairs; k++) {
      out[k] = (byte) (codes[2 * k] | (codes[2 * k + 1] << 4));
    }
    if ((codes.length & 1) == 1) {
      out[pairs] = codes[codes.length - 1];
    }
    return out;
  }
}
