package org.shampoo4j.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * The DJL {@link BlockQuantizer}: quantization as a handful of tensor operations on the device the
 * input lives on, with no host round trip (except the optional finiteness check, which reads one
 * boolean). Results are bit-for-bit equal to {@link ArrayQuantizer}'s: the same float32 division
 * by the block scale and the same midpoint comparisons, done by a binary search of {@code bits}
 * steps so memory stays linear in the input for any width.
 *
 * <p>Quantized buffers are attached to the input's manager; dequantized arrays to the packed
 * tensor's manager. Temporaries are freed before returning. Immutable and thread-safe.
 */
public final class NDArrayQuantizer implements BlockQuantizer<NDArray, PackedNDArray> {
  private final QuantizationSpec spec;
  private final Codebook codebook;
  private final boolean checkFinite;

  /** A quantizer that rejects non-finite input (costs one device-to-host boolean per call). */
  public NDArrayQuantizer(QuantizationSpec spec) {
    this(spec, true);
  }

  /**
   * A quantizer.
   *
   * @param spec what to apply
   * @param checkFinite whether to reject NaN and infinity; callers that already validated their
   *     input (the optimizers check gradients) pass {@code false} to keep steps free of host syncs
   */
  public NDArrayQuantizer(QuantizationSpec spec, boolean checkFinite) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.codebook = spec.codebook();
    this.checkFinite = checkFinite;
  }

  @Override
  public QuantizationSpec spec() {
    return spec;
  }

  @Override
  public PackedNDArray quantize(NDArray tensor) {
    return quantize(tensor, false);
  }

  @Override
  public PackedNDArray quantizeOffDiagonal(NDArray squareMatrix) {
    Shapes.squareOrder(intShape(squareMatrix));
    return quantize(squareMatrix, true);
  }

  private PackedNDArray quantize(NDArray tensor, boolean offDiagonal) {
    int[] shape = intShape(tensor);
    long n = tensor.size();
    NDManager owner = tensor.getManager();
    try (NDManager scope = owner.newSubManager()) {
      tensor.tempAttach(scope);
      NDArray x = tensor.toType(DataType.FLOAT32, false).flatten();
      if (n == 0) {
        throw new IllegalArgumentException("cannot quantize an empty tensor");
      }
      if (checkFinite) {
        requireFinite(x, shape);
      }
      PackedNDArray result;
      if (!spec.quantizes(n)) {
        result = packed(shape, Layout.FP32, scope.create(new byte[0]),
            scope.create(new float[0]), x.duplicate());
      } else if (offDiagonal) {
        int order = shape[0];
        NDArray matrix = x.reshape(order, order);
        NDArray diagonal = matrix.diagonal();
        NDArray offMask = scope.eye(order).eq(0).toType(DataType.FLOAT32, false);
        result = encode(shape, Layout.OFF_DIAGONAL, matrix.mul(offMask).flatten(), diagonal);
      } else {
        result = encode(shape, Layout.DENSE, x, scope.create(new float[0]));
      }
      return result.attach(owner);
    }
  }

  private PackedNDArray encode(int[] shape, Layout layout, NDArray x, NDArray kept) {
    NDManager scope = x.getManager();
    long n = x.size();
    int blockSize = spec.blockSize();
    long blocks = Shapes.blockCount(n, blockSize);
    NDArray padded = padTo(x, blocks * blockSize).reshape(blocks, blockSize);
    NDArray scales = padded.abs().max(new int[] {1});
    NDArray safe = NDArrays.where(scales.eq(0), scope.ones(scales.getShape()), scales);
    NDArray y = padded.div(safe.expandDims(1));
    NDArray codes = nearestCodes(y).flatten().get("0:" + n);
    NDArray packedCodes = pack(codes, codebook.bits());
    return packed(shape, layout, packedCodes, scales, kept);
  }

  // Binary lifting over the sorted midpoints: the code is the number of midpoints below y.
  private NDArray nearestCodes(NDArray y) {
    NDManager scope = y.getManager();
    NDArray midpoints = scope.create(codebook.midpoints());
    NDArray code = scope.zeros(y.getShape(), DataType.INT64);
    for (int step = 1 << (codebook.bits() - 1); step >= 1; step >>= 1) {
      NDArray candidate = code.add(step);
      NDArray threshold = midpoints.take(candidate.sub(1));
      code = NDArrays.where(y.gt(threshold), candidate, code);
    }
    return code;
  }

  @Override
  public NDArray dequantize(PackedNDArray packed) {
    NDManager owner = packed.getManager();
    int[] shape = packed.shape();
    Shape djlShape = new Shape(toLongs(shape));
    try (NDManager scope = owner.newSubManager()) {
      NDArray result;
      if (packed.layout() == Layout.FP32) {
        result = packed.fp32().duplicate().reshape(djlShape);
      } else {
        requireCompatible(packed);
        packed.codes().tempAttach(scope);
        packed.scales().tempAttach(scope);
        packed.fp32().tempAttach(scope);
        long n = packed.elementCount();
        long blocks = packed.scales().size();
        NDArray codes = unpack(packed.codes(), codebook.bits(), blocks * packed.blockSize());
        NDArray values = scope.create(codebook.values()).take(codes.toType(DataType.INT64, false));
        NDArray scaled = values.reshape(blocks, packed.blockSize())
            .mul(packed.scales().expandDims(1))
            .flatten()
            .get("0:" + n)
            .reshape(djlShape);
        if (packed.layout() == Layout.OFF_DIAGONAL) {
          int order = shape[0];
          // A select, not mask arithmetic: x·1 + d·0 would turn a -0.0 into +0.0 and break
          // bit-for-bit agreement with the Java path.
          NDArray onDiagonal = scope.eye(order).eq(1);
          NDArray diagonal = packed.fp32().expandDims(0).broadcast(order, order);
          scaled = NDArrays.where(onDiagonal, diagonal, scaled);
        }
        result = scaled;
      }
      result.attach(owner);
      return result;
    }
  }

  private void requireCompatible(PackedNDArray packed) {
    if (!packed.codebookId().equals(codebook.id()) || packed.bits() != codebook.bits()) {
      throw new IllegalArgumentException(
          "packed tensor uses codebook " + packed.codebookId() + " but this quantizer uses "
              + codebook.id());
    }
  }

  private PackedNDArray packed(
      int[] shape, Layout layout, NDArray codes, NDArray scales, NDArray kept) {
    return new PackedNDArray(
        shape, layout, codebook.id(), codebook.bits(), spec.blockSize(),
        codes.toType(DataType.UINT8, false), scales, kept);
  }

  private static void requireFinite(NDArray x, int[] shape) {
    NDArray bad = x.isNaN().logicalOr(x.isInfinite());
    if (bad.any().getBoolean()) {
      long index = bad.toType(DataType.INT32, false).argMax().getLong();
      throw Finiteness.nonFinite(shape, index, x.getFloat(index));
    }
  }

  /**
   * Packs codes ({@code int64}, one per element) into the little-endian bit stream of {@link
   * CodePacker}. Each group of 8 codes becomes {@code bits} bytes: split the codes into bit planes,
   * lay the bits out in stream order and sum each run of 8 bits with weights 1, 2, ..., 128. All
   * values stay below 256, so float32 arithmetic is exact.
   */
  static NDArray pack(NDArray codes, int bits) {
    NDManager scope = codes.getManager();
    long n = codes.size();
    long packedLength = (n * bits + 7) / 8;
    if (bits == 8) {
      return codes.toType(DataType.UINT8, false);
    }
    NDArray c = codes.toType(DataType.FLOAT32, false);
    if (bits == 4) {
      NDArray pairs = padTo(c, (n + 1) / 2 * 2).reshape(-1, 2);
      return pairs.get(":, 0").add(pairs.get(":, 1").mul(16)).toType(DataType.UINT8, false);
    }
    long groups = (n + 7) / 8;
    NDArray grouped = padTo(c, groups * 8).reshape(groups, 8);
    NDArray planes = bitPlanes(grouped, bits).reshape(groups, bits, 8);
    NDArray bytes = planes.mul(powersOfTwo(scope, 8)).sum(new int[] {2}).flatten();
    return bytes.get("0:" + packedLength).toType(DataType.UINT8, false);
  }

  /** Unpacks {@code count} codes (as {@code int64}) from a packed {@code uint8} stream. */
  static NDArray unpack(NDArray packed, int bits, long count) {
    NDManager scope = packed.getManager();
    NDArray b = packed.toType(DataType.FLOAT32, false);
    NDArray codes;
    if (bits == 8) {
      codes = b;
    } else if (bits == 4) {
      NDArray high = b.div(16).floor();
      NDArray low = b.sub(high.mul(16));
      codes = NDArrays.stack(new ai.djl.ndarray.NDList(low, high), 1).flatten();
    } else {
      long groups = (count + 7) / 8;
      NDArray grouped = padTo(b, groups * bits).reshape(groups * bits, 1);
      NDArray streamBits = bitPlanes(grouped, 8).reshape(groups, 8, bits);
      codes = streamBits.mul(powersOfTwo(scope, bits)).sum(new int[] {2}).flatten();
    }
    return padTo(codes, count).get("0:" + count).toType(DataType.INT64, false);
  }

  // x (rows, k) of small non-negative integers -> (rows, k * width): bit t of x[r, j] at j*width+t.
  private static NDArray bitPlanes(NDArray x, int width) {
    NDArray[] planes = new NDArray[width];
    for (int t = 0; t < width; t++) {
      planes[t] = x.div(1 << t).floor().mod(2);
    }
    NDArray stacked = NDArrays.stack(new ai.djl.ndarray.NDList(planes), 2);
    return stacked.reshape(x.getShape().get(0), x.getShape().get(1) * width);
  }

  private static NDArray powersOfTwo(NDManager scope, int count) {
    float[] w = new float[count];
    for (int t = 0; t < count; t++) {
      w[t] = 1 << t;
    }
    return scope.create(w);
  }

  private static NDArray padTo(NDArray flat, long length) {
    long missing = length - flat.size();
    if (missing <= 0) {
      return flat;
    }
    return flat.concat(flat.getManager().zeros(new Shape(missing), flat.getDataType()));
  }

  private static int[] intShape(NDArray a) {
    long[] dims = a.getShape().getShape();
    int[] shape = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      shape[i] = Math.toIntExact(dims[i]);
    }
    return shape;
  }

  private static long[] toLongs(int[] shape) {
    long[] out = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = shape[i];
    }
    return out;
  }
}
