package org.shampoo4j.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * The DJL {@link BlockQuantizer}: quantization on the device the input lives on, with no host
 * round trip (except the optional finiteness check, which reads one boolean). On DJL's PyTorch
 * engine quantize and dequantize are one call each into fused TorchScript kernels (encode + pack,
 * unpack + decode over uint8 codes); on other engines they are composed from {@link DeviceCodes}.
 * Results are bit-for-bit equal to {@link ArrayQuantizer}'s: the same {@code x·(1/s)} scaling and
 * the same threshold comparisons.
 *
 * <p>Quantized buffers are attached to the input's manager; dequantized arrays to the packed
 * tensor's manager. Temporaries are freed before returning. The fused kernels are those of the
 * {@link CodeKernels} given at construction, which the caller owns and closes; the constructors
 * without one use kernels nobody owns (see {@link DeviceCodes}). Immutable and thread-safe.
 */
public final class NDArrayQuantizer implements BlockQuantizer<NDArray, PackedNDArray> {
  private final QuantizationSpec spec;
  private final Codebook codebook;
  private final boolean checkFinite;
  private final boolean fused;
  private final CodeKernels kernels;

  /**
   * A quantizer that rejects non-finite input (costs one device-to-host boolean per call), on
   * plain NDArray operations; {@link #NDArrayQuantizer(QuantizationSpec, boolean, CodeKernels)}
   * runs the fused kernels, with the same results.
   */
  public NDArrayQuantizer(QuantizationSpec spec) {
    this(spec, true);
  }

  /**
   * A quantizer on plain NDArray operations (see {@link #NDArrayQuantizer(QuantizationSpec)}).
   *
   * @param spec what to apply
   * @param checkFinite whether to reject NaN and infinity; callers that already validated their
   *     input (the optimizers check gradients) pass {@code false} to keep steps free of host syncs
   */
  public NDArrayQuantizer(QuantizationSpec spec, boolean checkFinite) {
    this(spec, checkFinite, true, null);
  }

  /**
   * A quantizer on {@code kernels}, which the caller owns (and closes after the last use of this
   * quantizer).
   *
   * @param spec what to apply
   * @param checkFinite whether to reject NaN and infinity (see {@link #NDArrayQuantizer(
   *     QuantizationSpec, boolean)})
   * @param kernels the fused kernels to run on
   */
  public NDArrayQuantizer(QuantizationSpec spec, boolean checkFinite, CodeKernels kernels) {
    this(spec, checkFinite, true, Objects.requireNonNull(kernels, "kernels"));
  }

  /**
   * A quantizer that may be kept off the fused kernels ({@code fused = false}: plain NDArray
   * operations even on PyTorch), which tests use to check one path against the other.
   */
  NDArrayQuantizer(QuantizationSpec spec, boolean checkFinite, boolean fused) {
    this(spec, checkFinite, fused, null);
  }

  private NDArrayQuantizer(
      QuantizationSpec spec, boolean checkFinite, boolean fused, CodeKernels kernels) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.codebook = spec.codebook();
    this.checkFinite = checkFinite;
    this.fused = fused;
    this.kernels = kernels;
  }

  /** The fused module for these arrays, or null where NDArray operations serve. */
  private TorchScriptCodes module(NDArray... arrays) {
    if (!fused) {
      return null;
    }
    return kernels != null ? kernels.moduleFor(arrays) : null;
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
      TorchScriptCodes module = spec.quantizes(n) ? module(x) : null;
      if (module != null) {
        result = fusedQuantize(module, scope, shape, x, offDiagonal);
      } else if (!spec.quantizes(n)) {
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

  private PackedNDArray fusedQuantize(TorchScriptCodes module,
      NDManager scope, int[] shape, NDArray x, boolean offDiagonal) {
    NDArray thresholds = scope.create(codebook.thresholds());
    NDArray input = offDiagonal ? x.reshape(shape[0], shape[0]) : x;
    long rowLength = spec.grid(shape).rowLength();
    NDArray[] out = module.quantize(
        input, thresholds, rowLength, spec.blockSize(), codebook.bits(), offDiagonal);
    return packed(shape, offDiagonal ? Layout.OFF_DIAGONAL : Layout.DENSE, out[0], out[1], out[2]);
  }

  private PackedNDArray encode(int[] shape, Layout layout, NDArray x, NDArray kept) {
    long rowLength = spec.grid(shape).rowLength();
    DeviceCodes.BlockEncoding encoded =
        NDArrayCodes.encodeBlocks(x, codebook, spec.blockSize(), rowLength);
    NDArray packedCodes = NDArrayCodes.pack(encoded.codes(), codebook.bits());
    return packed(shape, layout, packedCodes, encoded.scales(), kept);
  }

  @Override
  public NDArray dequantize(PackedNDArray packed) {
    return dequantize(packed, null);
  }

  /**
   * {@link #dequantize(PackedNDArray)} reading the codebook from {@code codebookValues}, an array
   * made by {@link #codebookValues} on the packed tensor's device (null: made for this call).
   * Callers that decode every step keep that array: made from host memory for each call, it is a
   * copy that on a GPU waits for every queued kernel.
   */
  public NDArray dequantize(PackedNDArray packed, NDArray codebookValues) {
    NDManager owner = packed.getManager();
    int[] shape = packed.shape();
    Shape djlShape = new Shape(toLongs(shape));
    try (NDManager scope = owner.newSubManager()) {
      NDArray result;
      if (packed.layout() == Layout.FP32) {
        result = packed.fp32().duplicate().reshape(djlShape);
      } else if (packed.elementCount() == 0) {
        requireCompatible(packed);
        result = scope.zeros(djlShape);
      } else {
        requireCompatible(packed);
        packed.codes().tempAttach(scope);
        packed.scales().tempAttach(scope);
        packed.fp32().tempAttach(scope);
        TorchScriptCodes module = module(packed.codes(), packed.scales(), packed.fp32());
        if (module != null) {
          NDArray values = codebookValues != null ? codebookValues : codebookValues(scope);
          result = module.dequantize(packed.codes(), values, packed.scales(),
              packed.fp32(), packed.elementCount(), packed.grid().rowLength(),
              packed.blockSize(), codebook.bits()).reshape(djlShape);
          result.attach(owner);
          return result;
        }
        NDArray codes =
            NDArrayCodes.unpack(packed.codes(), codebook.bits(), packed.elementCount());
        NDArray scaled = NDArrayCodes.decodeBlocks(codes, packed.scales(), codebook,
                packed.blockSize(), packed.grid().rowLength())
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

  /** This quantizer's codebook values as a new float32 array in {@code manager}. */
  public NDArray codebookValues(NDManager manager) {
    return manager.create(codebook.values());
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
        shape, layout, codebook.id(), codebook.bits(), spec.blockSize(), spec.blocking(),
        codes.toType(DataType.UINT8, false), scales, kept);
  }

  private static void requireFinite(NDArray x, int[] shape) {
    NDArray bad = x.isNaN().logicalOr(x.isInfinite());
    if (bad.any().getBoolean()) {
      long index = bad.toType(DataType.INT32, false).argMax().getLong();
      throw Finiteness.nonFinite(shape, index, x.getFloat(index));
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

  private static long[] toLongs(int[] shape) {
    long[] out = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = shape[i];
    }
    return out;
  }
}
