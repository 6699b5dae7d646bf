package org.shampoo4j.cholesky;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;
import org.shampoo4j.quant.Codebook;

/**
 * Block-wise absmax quantization of a vector into unpacked codes, as tensor operations on the
 * vector's device, with exactly the arithmetic of quant-api's quantizers (float32 division by the
 * block scale, nearest code by comparison with the codebook's float32 midpoints, ties to the lower
 * code, all-zero blocks to the zero code), so results equal {@link
 * org.shampoo4j.quant.ArrayQuantizer}'s bit for bit ({@code BlockCodesTest} checks it).
 *
 * <p>Why not {@link org.shampoo4j.quant.NDArrayQuantizer}: the shared factor/error code matrix
 * needs the codes unpacked to lay them out, and that quantizer's lookups use {@code
 * NDArray.take}, which on DJL's PyTorch engine (CPU) measured 60–140× slower than {@code gather}
 * (8–25 ms against 0.1–0.2 ms for 16k elements); every lookup here is a {@code gather}.
 *
 * <p>Codes travel as {@code float32} integers (exact), so they can be laid out with the same
 * operations as values. Results are created in the input's manager. Immutable.
 */
final class BlockCodes {
  private final Codebook codebook;
  private final int blockSize;

  /** Quantized codes and the block scales of one vector. */
  record Encoded(NDArray codes, NDArray scales) {}

  BlockCodes(Codebook codebook, int blockSize) {
    this.codebook = Objects.requireNonNull(codebook, "codebook");
    if (blockSize <= 0) {
      throw new IllegalArgumentException("block size must be positive, got " + blockSize);
    }
    this.blockSize = blockSize;
  }

  /** The codebook. */
  Codebook codebook() {
    return codebook;
  }

  /** Elements per scale. */
  int blockSize() {
    return blockSize;
  }

  /** Scales (one per block of {@link #blockSize()} elements) and codes of a non-empty vector. */
  Encoded encode(NDArray vector) {
    NDManager scope = vector.getManager();
    long count = vector.size();
    if (count == 0) {
      throw new IllegalArgumentException("cannot quantize an empty vector");
    }
    long blocks = (count + blockSize - 1) / blockSize;
    NDArray padded = padTo(vector.flatten(), blocks * blockSize).reshape(blocks, blockSize);
    NDArray scales = padded.abs().max(new int[] {1});
    NDArray safe = NDArrays.where(scales.eq(0), scope.ones(scales.getShape()), scales);
    NDArray y = padded.div(safe.expandDims(1)).flatten();
    // Binary lifting over the sorted midpoints: the code is the number of midpoints below y.
    NDArray midpoints = scope.create(codebook.midpoints());
    NDArray code = scope.zeros(y.getShape(), DataType.INT64);
    for (int step = 1 << (codebook.bits() - 1); step >= 1; step >>= 1) {
      NDArray candidate = code.add(step);
      NDArray threshold = midpoints.gather(candidate.sub(1), 0);
      code = NDArrays.where(y.gt(threshold), candidate, code);
    }
    return new Encoded(code.get("0:" + count).toType(DataType.FLOAT32, false), scales);
  }

  /** {@code codebook[code]·scale} of each code's block: the first {@code codes.size()} values. */
  NDArray decode(NDArray codes, NDArray scales) {
    NDManager scope = codes.getManager();
    long count = codes.size();
    long blocks = scales.size();
    NDArray values = scope.create(codebook.values())
        .gather(codes.flatten().toType(DataType.INT64, false), 0);
    return padTo(values, blocks * blockSize).reshape(blocks, blockSize)
        .mul(scales.expandDims(1)).flatten().get("0:" + count);
  }

  private static NDArray padTo(NDArray flat, long length) {
    long missing = length - flat.size();
    if (missing <= 0) {
      return flat;
    }
    return flat.concat(flat.getManager().zeros(new Shape(missing), flat.getDataType()));
  }
}
