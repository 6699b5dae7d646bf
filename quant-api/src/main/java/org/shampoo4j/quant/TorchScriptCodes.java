package org.shampoo4j.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayList;
import java.util.List;

/**
 * Quantization kernels of a small TorchScript module (the classpath resource {@value
 * #MODULE_RESOURCE}, made by {@code quant-api/scripts/make_quantizer_module.py}): encode + pack and
 * unpack + decode as a few fused libtorch passes over uint8 codes and int32 indices, on whatever
 * device the arrays live on. The arithmetic is {@link ArrayQuantizer}'s: {@code x·(1/s)} with the
 * float32 reciprocal and the codebook's {@link Codebook#thresholds() thresholds} (bucketize counts
 * the thresholds strictly below a value), so both agree bit for bit.
 *
 * <p>The module holds no tensors and names no device, so one instance serves arrays on any device.
 * Its owner is a {@link CodeKernels}, which closes it. Only arrays of DJL's PyTorch engine can use
 * it ({@link #supports}); {@link CodeKernels} falls back to NDArray operations for other engines.
 */
final class TorchScriptCodes implements AutoCloseable {
  /** Classpath resource (relative to this class) holding the scripted module. */
  static final String MODULE_RESOURCE = "quantizer.pt";

  private final PtSymbolBlock module;

  /** Loads the module (a few milliseconds) into {@code manager}, which owns it. */
  TorchScriptCodes(PtNDManager manager) {
    this.module = TorchScriptModules.load(manager, TorchScriptCodes.class, MODULE_RESOURCE);
  }

  /** Whether the kernels can run on these arrays (all of DJL's PyTorch engine). */
  static boolean supports(NDArray... arrays) {
    for (NDArray a : arrays) {
      if (!(a instanceof PtNDArray) || !(a.getManager() instanceof PtNDManager)) {
        return false;
      }
    }
    return true;
  }

  /** Frees the native module. */
  @Override
  public void close() {
    module.close();
  }

  /** [codes (n) uint8, scales float32] with blocks inside rows of {@code rowLength}. */
  NDArray[] encodeBlocks(NDArray x, NDArray thresholds, long rowLength, int blockSize) {
    return list(x, "encode_blocks",
        tensor(x), tensor(thresholds), IValue.from(rowLength), IValue.from((long) blockSize));
  }

  /** uint8 codes of already scaled values. */
  NDArray nearestCodes(NDArray y, NDArray thresholds) {
    return single(y, "nearest_codes", tensor(y), tensor(thresholds));
  }

  /** {@code values[code]·scale}, flat float32. */
  NDArray decodeBlocks(
      NDArray codes, NDArray values, NDArray scales, long rowLength, int blockSize) {
    return single(codes, "decode_blocks", tensor(codes), tensor(values), tensor(scales),
        IValue.from(rowLength), IValue.from((long) blockSize));
  }

  /** The packed uint8 stream of codes. */
  NDArray pack(NDArray codes, int bits) {
    return single(codes, "pack", tensor(codes), IValue.from((long) bits));
  }

  /** {@code count} uint8 codes of a packed stream. */
  NDArray unpack(NDArray packed, int bits, long count) {
    return single(packed, "unpack", tensor(packed), IValue.from((long) bits), IValue.from(count));
  }

  /** [packed uint8, scales float32, diagonal float32 (empty unless offDiagonal)]. */
  NDArray[] quantize(NDArray x, NDArray thresholds, long rowLength, int blockSize, int bits,
      boolean offDiagonal) {
    return list(x, "quantize", tensor(x), tensor(thresholds), IValue.from(rowLength),
        IValue.from((long) blockSize), IValue.from((long) bits), IValue.from(offDiagonal));
  }

  /** Flat float32 values; a non-empty diagonal overwrites the square result's diagonal. */
  NDArray dequantize(NDArray packed, NDArray values, NDArray scales, NDArray diagonal,
      long count, long rowLength, int blockSize, int bits) {
    return single(packed, "dequantize", tensor(packed), tensor(values), tensor(scales),
        tensor(diagonal), IValue.from(count), IValue.from(rowLength),
        IValue.from((long) blockSize), IValue.from((long) bits));
  }

  private static IValue tensor(NDArray a) {
    return IValue.from((PtNDArray) a);
  }

  private NDArray single(NDArray owner, String method, IValue... inputs) {
    try (Arguments args = new Arguments(inputs);
        IValue result = TorchScriptModules.run(module, method, inputs)) {
      return result.toTensor((PtNDManager) owner.getManager());
    }
  }

  private NDArray[] list(NDArray owner, String method, IValue... inputs) {
    try (Arguments args = new Arguments(inputs);
        IValue result = TorchScriptModules.run(module, method, inputs)) {
      return result.toTensorArray((PtNDManager) owner.getManager());
    }
  }

  // Frees the argument handles (not the tensors they wrap) after a call.
  private static final class Arguments implements AutoCloseable {
    private final List<IValue> values;

    Arguments(IValue[] values) {
      this.values = new ArrayList<>(List.of(values));
    }

    @Override
    public void close() {
      values.forEach(IValue::close);
    }
  }
}
