package org.shampoo4j.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;

/**
 * The device-side building blocks of quantization ({@link DeviceCodes}'s operations) together
 * with the owner of their TorchScript module: on DJL's PyTorch engine every operation is one call
 * into a small module of fused libtorch kernels, loaded when this object is made and freed by
 * {@link #close()}; on another engine, or for arrays of another engine, the same results come from
 * plain NDArray operations. Whoever quantizes on a device (an optimizer, a benchmark) makes one
 * instance, hands it to its {@link NDArrayQuantizer}s and closes it when done, as it does with
 * its other scripted kernels. The module holds no tensors and names no device, so one instance
 * serves arrays on any device. Thread-safe.
 */
public final class CodeKernels implements AutoCloseable {
  // Holds no module (nothing to free): the NDArray-operation path.
  private static final CodeKernels PLAIN = new CodeKernels((TorchScriptCodes) null);

  private final TorchScriptCodes module;

  /**
   * Kernels for the arrays of {@code manager}'s engine: the fused module when it is DJL's
   * PyTorch engine (loaded into {@code manager}, a few milliseconds), else NDArray operations.
   */
  public CodeKernels(NDManager manager) {
    this(manager instanceof PtNDManager pt ? new TorchScriptCodes(pt) : null);
  }

  private CodeKernels(TorchScriptCodes module) {
    this.module = module;
  }

  /**
   * The kernels of the entry points that take none ({@link DeviceCodes}' static methods, the
   * {@link NDArrayQuantizer} constructors without kernels): plain NDArray operations, with the
   * same results as the fused module. No module is loaded or kept behind a caller's back; the
   * fused kernels come from an instance the caller owns.
   */
  static CodeKernels plain() {
    return PLAIN;
  }

  /** Whether the fused module runs on these arrays (else NDArray operations do). */
  public boolean fused(NDArray... arrays) {
    return module != null && TorchScriptCodes.supports(arrays);
  }

  /** The module for these arrays, or null where NDArray operations serve. */
  TorchScriptCodes moduleFor(NDArray... arrays) {
    return fused(arrays) ? module : null;
  }

  /** As {@link DeviceCodes#encodeBlocks(NDArray, Codebook, int)}: flat blocks. */
  public DeviceCodes.BlockEncoding encodeBlocks(NDArray tensor, Codebook codebook, int blockSize) {
    return encodeBlocks(tensor, codebook, blockSize, tensor.size());
  }

  /** As {@link DeviceCodes#encodeBlocks(NDArray, Codebook, int, long)}. */
  public DeviceCodes.BlockEncoding encodeBlocks(
      NDArray tensor, Codebook codebook, int blockSize, long rowLength) {
    long n = tensor.size();
    if (n == 0) {
      throw new IllegalArgumentException("cannot quantize an empty tensor");
    }
    requireBlockSize(blockSize);
    requireRows(n, rowLength);
    if (!fused(tensor)) {
      return NDArrayCodes.encodeBlocks(tensor, codebook, blockSize, rowLength);
    }
    try (NDArray thresholds = tensor.getManager().create(codebook.thresholds())) {
      NDArray[] out = module.encodeBlocks(tensor, thresholds, rowLength, blockSize);
      return new DeviceCodes.BlockEncoding(out[0], out[1]);
    }
  }

  /** As {@link DeviceCodes#decodeBlocks(NDArray, NDArray, Codebook, int)}: flat blocks. */
  public NDArray decodeBlocks(NDArray codes, NDArray scales, Codebook codebook, int blockSize) {
    return decodeBlocks(codes, scales, codebook, blockSize, Math.max(1, codes.size()));
  }

  /** As {@link DeviceCodes#decodeBlocks(NDArray, NDArray, Codebook, int, long)}. */
  public NDArray decodeBlocks(
      NDArray codes, NDArray scales, Codebook codebook, int blockSize, long rowLength) {
    long n = codes.size();
    requireBlockSize(blockSize);
    if (n > 0) {
      requireRows(n, rowLength);
    }
    long blocks = n == 0 ? 0 : n / rowLength * Shapes.blockCount(rowLength, blockSize);
    if (scales.size() != blocks) {
      throw new IllegalArgumentException(n + " codes in blocks of " + blockSize + " need "
          + blocks + " scales, got " + scales.size() + " scales");
    }
    if (n == 0) {
      return codes.getManager().zeros(new Shape(0));
    }
    if (!fused(codes, scales)) {
      return NDArrayCodes.decodeBlocks(codes, scales, codebook, blockSize, rowLength);
    }
    try (NDArray table = codes.getManager().create(codebook.values())) {
      return module.decodeBlocks(codes, table, scales, rowLength, blockSize);
    }
  }

  /** As {@link DeviceCodes#nearestCodes(NDArray, Codebook)}. */
  public NDArray nearestCodes(NDArray y, Codebook codebook) {
    if (!fused(y)) {
      return NDArrayCodes.nearestCodes(y, codebook);
    }
    try (NDArray thresholds = y.getManager().create(codebook.thresholds());
        NDArray scaled = y.toType(DataType.FLOAT32, true)) {
      return module.nearestCodes(scaled, thresholds);
    }
  }

  /** As {@link DeviceCodes#pack(NDArray, int)}. */
  public NDArray pack(NDArray codes, int bits) {
    requireBits(bits);
    return fused(codes) ? module.pack(codes, bits) : NDArrayCodes.pack(codes, bits);
  }

  /** As {@link DeviceCodes#unpack(NDArray, int, long)}. */
  public NDArray unpack(NDArray packed, int bits, long count) {
    requireBits(bits);
    if (count < 0 || packed.size() != new CodePacker(bits).packedLength(count)) {
      throw new IllegalArgumentException(count + " codes of " + bits + " bits need "
          + (count < 0 ? "a non-negative count" : new CodePacker(bits).packedLength(count)
              + " bytes") + ", got " + packed.size() + " bytes");
    }
    return fused(packed)
        ? module.unpack(packed, bits, count)
        : NDArrayCodes.unpack(packed, bits, count);
  }

  /** Frees the fused module, if one was loaded. */
  @Override
  public void close() {
    if (module != null) {
      module.close();
    }
  }

  private static void requireBlockSize(int blockSize) {
    if (blockSize <= 0) {
      throw new IllegalArgumentException("block size must be positive, got " + blockSize);
    }
  }

  private static void requireRows(long n, long rowLength) {
    if (rowLength <= 0 || n % rowLength != 0) {
      throw new IllegalArgumentException(
          "row length " + rowLength + " does not divide " + n + " elements");
    }
  }

  private static void requireBits(int bits) {
    if (bits < 1 || bits > Codebook.MAX_BITS) {
      throw new IllegalArgumentException("bits must be in [1, 8], got " + bits);
    }
  }
}
