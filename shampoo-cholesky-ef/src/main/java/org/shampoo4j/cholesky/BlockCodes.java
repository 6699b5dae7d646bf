package org.shampoo4j.cholesky;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Objects;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.DeviceCodes;

/**
 * Block-wise absmax quantization of a vector into unpacked codes, on the vector's device, through
 * quant-api's {@link CodeKernels}, which the caller owns and closes (so results equal {@link
 * org.shampoo4j.quant.ArrayQuantizer}'s bit for bit; {@code BlockCodesTest} checks it). The shared
 * factor/error code matrix needs the codes unpacked to lay them out, so this class hands them over
 * as {@code float32} integers (exact), which can be laid out with the same operations as values.
 * Results are created in the input's manager. Immutable.
 */
final class BlockCodes {
  private final Codebook codebook;
  private final int blockSize;
  private final CodeKernels kernels;

  /** Quantized codes (float32 integers) and the block scales of one vector. */
  record Encoded(NDArray codes, NDArray scales) {}

  BlockCodes(Codebook codebook, int blockSize, CodeKernels kernels) {
    this.codebook = Objects.requireNonNull(codebook, "codebook");
    this.kernels = Objects.requireNonNull(kernels, "kernels");
    if (blockSize <= 0) {
      throw new IllegalArgumentException("block size must be positive, got " + blockSize);
    }
    this.blockSize = blockSize;
  }

  /** The codebook. */
  Codebook codebook() {
    return codebook;
  }

  /** Scales (one per block of {@code blockSize} elements) and codes of a non-empty vector. */
  Encoded encode(NDArray vector) {
    DeviceCodes.BlockEncoding encoded = kernels.encodeBlocks(vector, codebook, blockSize);
    return new Encoded(encoded.codes().toType(DataType.FLOAT32, false), encoded.scales());
  }

  /** {@code codebook[code]·scale} of each code's block: the first {@code codes.size()} values. */
  NDArray decode(NDArray codes, NDArray scales) {
    return kernels.decodeBlocks(codes, scales, codebook, blockSize);
  }

  /** Packs float32 codes into the {@code uint8} stream of quant-api's {@code CodePacker}. */
  NDArray pack(NDArray codes) {
    return kernels.pack(codes, codebook.bits());
  }

  /** Unpacks {@code count} codes as float32 integers. */
  NDArray unpack(NDArray packed, long count) {
    return kernels.unpack(packed, codebook.bits(), count).toType(DataType.FLOAT32, false);
  }
}
