package org.shampoo4j.adamw4;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Objects;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.DeviceCodes;
import org.shampoo4j.quant.Layout;

/**
 * Quantization with rank-1 normalization (docs/algorithms.md §5, Li et al. 2023): instead of one scale per
 * block, element {@code (i, j)} of a matrix is divided by {@code min(max_k |x_ik|, max_k |x_kj|)},
 * the smaller of its row's and its column's absolute maximum, then encoded as the nearest value of
 * the codebook. Only the row and column maxima are stored (fp32), so an m×n matrix costs {@code
 * ceil(m·n·bits/8) + 4(m + n)} bytes. A tensor of rank r > 2 uses the same rule with r axes: the
 * scale of an element is the minimum over the axes of the maximum of |x| along the slice that fixes
 * that axis's index (the paper's generalisation), with one vector of maxima per axis.
 *
 * <p>Because every scale is at least the element's own |x|, {@code x/scale} lies in [-1, 1] and
 * the round-trip error of an element is at most the codebook's rounding error times its scale.
 * Tensors with fewer than {@code minQuantizedElements} elements are kept fp32 ({@link
 * Layout#FP32}); {@link Long#MAX_VALUE} makes the quantizer lossless, which tests use as a
 * reference.
 *
 * <p>All work is a handful of tensor operations on the input's device, with no host round trip
 * (except the optional finiteness check, which reads one boolean). Quantized buffers are attached
 * to the input's manager, dequantized arrays to the packed tensor's manager; temporaries are freed
 * before returning. Immutable and thread-safe. Inputs must have rank at least 2: for a vector the
 * rule degenerates to one scale per element, so callers fall back to block-wise quantization
 * ({@link MomentCodec#rank1}).
 */
public final class Rank1Quantizer {
  private final Codebook codebook;
  private final long minQuantizedElements;
  private final boolean checkFinite;
  private final CodeKernels kernels;

  /**
   * A quantizer.
   *
   * @param codebook the codebook codes index into; for the second moment of AdamW a codebook
   *     without zero (docs/algorithms.md §5)
   * @param minQuantizedElements tensors with fewer elements stay fp32 (non-negative)
   * @param checkFinite whether to reject NaN and infinity (one device-to-host boolean per call);
   *     callers that validated their input pass {@code false} to keep steps free of host syncs
   */
  public Rank1Quantizer(Codebook codebook, long minQuantizedElements, boolean checkFinite) {
    this(codebook, minQuantizedElements, checkFinite, null);
  }

  /**
   * A quantizer whose codes are encoded and packed by {@code kernels}, which the caller owns (and
   * closes after the last use of this quantizer); {@code null} runs on {@link DeviceCodes}'
   * kernels, which nobody owns.
   *
   * @see #Rank1Quantizer(Codebook, long, boolean)
   */
  public Rank1Quantizer(Codebook codebook, long minQuantizedElements, boolean checkFinite,
      CodeKernels kernels) {
    this.codebook = Objects.requireNonNull(codebook, "codebook");
    this.kernels = kernels;
    if (minQuantizedElements < 0) {
      throw new IllegalArgumentException(
          "minimum quantized size must be non-negative, got " + minQuantizedElements);
    }
    this.minQuantizedElements = minQuantizedElements;
    this.checkFinite = checkFinite;
  }

  /** The codebook codes index into. */
  public Codebook codebook() {
    return codebook;
  }

  /** Tensors with fewer elements than this are kept fp32. */
  public long minQuantizedElements() {
    return minQuantizedElements;
  }

  /**
   * Quantizes a tensor of rank at least 2.
   *
   * @throws IllegalArgumentException if the tensor is empty, has rank below 2, or (when checking)
   *     holds a non-finite value, which is named with its index
   */
  public Rank1PackedNDArray quantize(NDArray tensor) {
    int[] shape = intShape(tensor);
    if (shape.length < 2) {
      throw new IllegalArgumentException(
          "rank-1 normalization needs a tensor of rank >= 2, got shape " + Arrays.toString(shape)
              + "; quantize vectors block-wise");
    }
    long n = tensor.size();
    if (n == 0) {
      throw new IllegalArgumentException("cannot quantize an empty tensor");
    }
    NDManager owner = tensor.getManager();
    try (NDManager scope = owner.newSubManager()) {
      tensor.tempAttach(scope);
      NDArray x = tensor.toType(DataType.FLOAT32, false);
      if (checkFinite) {
        requireFinite(x, shape);
      }
      Rank1PackedNDArray result;
      if (n < minQuantizedElements) {
        result = new Rank1PackedNDArray(shape, Layout.FP32, codebook.id(), codebook.bits(),
            scope.create(new byte[0]).toType(DataType.UINT8, false), new NDList(),
            x.duplicate());
      } else {
        NDArray abs = x.abs();
        NDList maxima = new NDList(shape.length);
        NDArray scale = null;
        for (int axis = 0; axis < shape.length; axis++) {
          NDArray axisMax = abs;
          // One axis at a time: PyTorch's engine reduces max over a single axis per call.
          for (int other : otherAxes(shape.length, axis)) {
            axisMax = axisMax.max(new int[] {other}, true);
          }
          scale = scale == null ? axisMax : NDArrays.minimum(scale, axisMax);
          maxima.add(axisMax.flatten());
        }
        // An all-zero row or column gives scale 0 only where x is 0: divide by 1 there instead.
        NDArray safe = scale.add(scale.eq(0).toType(DataType.FLOAT32, false));
        NDArray scaled = x.div(safe);
        NDArray codes = kernels != null ? kernels.nearestCodes(scaled, codebook)
            : DeviceCodes.nearestCodes(scaled, codebook);
        NDArray packed = kernels != null ? kernels.pack(codes, codebook.bits())
            : DeviceCodes.pack(codes, codebook.bits());
        result = new Rank1PackedNDArray(shape, Layout.DENSE, codebook.id(), codebook.bits(),
            packed, maxima, scope.create(new float[0]));
      }
      return result.attach(owner);
    }
  }

  /**
   * Dequantizes: {@code codebook[code] · min over axes of the axis maxima}, in the packed tensor's
   * manager and on its device.
   *
   * @throws IllegalArgumentException if the packed tensor uses another codebook
   */
  public NDArray dequantize(Rank1PackedNDArray packed) {
    NDManager owner = packed.getManager();
    int[] shape = packed.shape();
    Shape djlShape = new Shape(Arrays.stream(shape).asLongStream().toArray());
    try (NDManager scope = owner.newSubManager()) {
      NDArray result;
      if (packed.layout() == Layout.FP32) {
        packed.fp32().tempAttach(scope);
        result = packed.fp32().duplicate().reshape(djlShape);
      } else {
        requireCompatible(packed);
        packed.codes().tempAttach(scope);
        NDArray scale = null;
        for (int axis = 0; axis < shape.length; axis++) {
          NDArray axisMax = packed.axisMaxima().get(axis);
          axisMax.tempAttach(scope);
          NDArray broadcastable = axisMax.reshape(broadcastShape(shape.length, axis, shape[axis]));
          scale = scale == null ? broadcastable : NDArrays.minimum(scale, broadcastable);
        }
        NDArray codes = kernels != null
            ? kernels.unpack(packed.codes(), codebook.bits(), packed.elementCount())
            : DeviceCodes.unpack(packed.codes(), codebook.bits(), packed.elementCount());
        result = DeviceCodes.values(codes, codebook).reshape(djlShape).mul(scale);
      }
      result.attach(owner);
      return result;
    }
  }

  private void requireCompatible(Rank1PackedNDArray packed) {
    if (!packed.codebookId().equals(codebook.id()) || packed.bits() != codebook.bits()) {
      throw new IllegalArgumentException(
          "packed tensor uses codebook " + packed.codebookId() + " but this quantizer uses "
              + codebook.id());
    }
  }

  private static int[] otherAxes(int rank, int axis) {
    int[] axes = new int[rank - 1];
    for (int a = 0, k = 0; a < rank; a++) {
      if (a != axis) {
        axes[k++] = a;
      }
    }
    return axes;
  }

  private static Shape broadcastShape(int rank, int axis, int length) {
    long[] dims = new long[rank];
    Arrays.fill(dims, 1L);
    dims[axis] = length;
    return new Shape(dims);
  }

  private static void requireFinite(NDArray x, int[] shape) {
    NDArray bad = x.isNaN().logicalOr(x.isInfinite());
    if (bad.any().getBoolean()) {
      long index = bad.flatten().toType(DataType.INT32, false).argMax().getLong();
      throw new IllegalArgumentException(
          "cannot quantize a non-finite value: flat index " + index + " of a tensor of shape "
              + Arrays.toString(shape) + " is " + x.flatten().getFloat(index));
    }
  }

  private static int[] intShape(NDArray a) {
    long[] dims = a.getShape().getShape();
    int[] shape = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      shape[i] = Math.toIntExact(dims[i]);
    }
    return shape;
  }

  @Override
  public String toString() {
    return "Rank1Quantizer[" + codebook.id() + ", minElements=" + minQuantizedElements + "]";
  }
}
