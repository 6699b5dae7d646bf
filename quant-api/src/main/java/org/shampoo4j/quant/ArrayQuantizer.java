package org.shampoo4j.quant;

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
    if (x.length == 0 || !spec.quantizes(x.length)) {
      Finiteness.requireFinite(x, shape);
      return fp32(shape, x);
    }
    // Finiteness is checked block by block on the scales (a NaN or infinity makes one non-finite).
    return pack(shape, Layout.DENSE, x, x, new float[0]);
  }

  @Override
  public PackedTensor quantizeOffDiagonal(FloatTensor squareMatrix) {
    int[] shape = squareMatrix.shape();
    int n = Shapes.squareOrder(shape);
    float[] x = squareMatrix.raw();
    if (x.length == 0 || !spec.quantizes(x.length)) {
      Finiteness.requireFinite(x, shape);
      return fp32(shape, x);
    }
    float[] offDiagonal = x.clone();
    float[] diagonal = new float[n];
    for (int i = 0; i < n; i++) {
      diagonal[i] = offDiagonal[i * n + i];
      offDiagonal[i * n + i] = 0f;
      if (!Float.isFinite(diagonal[i])) {
        Finiteness.requireFinite(x, shape);
      }
    }
    return pack(shape, Layout.OFF_DIAGONAL, offDiagonal, x, diagonal);
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
    int blockSize = packed.blockSize();
    int rowLength = (int) packed.grid().rowLength();
    byte[] codes = codebook.bits() == 4 ? packed.rawCodes() : packer.unpack(packed.rawCodes(), n);
    int b = 0;
    for (int rowStart = 0; rowStart < n; rowStart += rowLength) {
      int rowEnd = rowStart + rowLength;
      for (int from = rowStart; from < rowEnd; from += blockSize, b++) {
        int to = Math.min(rowEnd, from + Math.min(blockSize, rowEnd - from));
        float s = scales[b];
        if (codebook.bits() == 4) {
          for (int i = from; i < to; i++) {
            // Read the nibble in place instead of unpacking to a byte per element first.
            out[i] = values[(codes[i >>> 1] >>> ((i & 1) << 2)) & 0x0F] * s;
          }
        } else {
          for (int i = from; i < to; i++) {
            out[i] = values[codes[i] & 0xFF] * s;
          }
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

  // x: the values to encode; original: the caller's tensor, named in a non-finite error.
  private PackedTensor pack(
      int[] shape, Layout layout, float[] x, float[] original, float[] kept) {
    BlockGrid grid = spec.grid(shape);
    float[] scales = new float[Math.toIntExact(grid.blockCount())];
    boolean nibbles = codebook.bits() == 4 && encoder.usable();
    byte[] codes = new byte[nibbles ? (x.length + 1) >>> 1 : x.length];
    int blockSize = spec.blockSize();
    int rowLength = (int) grid.rowLength();
    int b = 0;
    // Rows, then blocks inside a row: no division per block.
    for (int rowStart = 0; rowStart < x.length; rowStart += rowLength) {
      int rowEnd = rowStart + rowLength;
      for (int from = rowStart; from < rowEnd; from += blockSize, b++) {
        int to = Math.min(rowEnd, from + Math.min(blockSize, rowEnd - from));
        float s = absMax(x, from, to);
        if (!Float.isFinite(s)) {
          Finiteness.requireFinite(original, shape);
        }
        scales[b] = s;
        // The official kernels scale by the float32 reciprocal (two roundings), not by x / s;
        // an all-zero block multiplies by 0 and encodes as the code of 0.
        float inverse = s > 0f ? 1f / s : 0f;
        if (nibbles) {
          encoder.encodeNibbles(x, inverse, from, to, codes);
        } else {
          encode(x, inverse, from, to, codes);
        }
      }
    }
    byte[] packedCodes = nibbles ? codes : packer.pack(codes);
    return PackedTensor.owning(shape, layout, codebook.id(), codebook.bits(), spec.blockSize(),
        spec.blocking(), packedCodes, scales, kept);
  }

  // max |x| over [from, to) as the largest magnitude bit pattern: for finite floats the integer
  // order of |bits| is the value order, and integer max vectorizes. A NaN or infinity gives a
  // pattern above every finite one, hence a non-finite result.
  private static float absMax(float[] x, int from, int to) {
    int max = 0;
    for (int i = from; i < to; i++) {
      max = Math.max(max, Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF);
    }
    return Float.intBitsToFloat(max);
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
}
