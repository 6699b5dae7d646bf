package org.shampoo4j.quant;

import ai.djl.ndarray.NDArray;

/**
 * The device-side building blocks of quantization, on the input's device with exactly the
 * arithmetic of the pure-Java path: nearest codes by the codebook's {@link Codebook#thresholds()
 * thresholds} (ties to the even code), block-wise absmax encoding with {@code x·(1/s)}, code
 * lookup, and packing into the little-endian bit stream of {@link CodePacker}. {@link
 * NDArrayQuantizer} is built from the same kernels; other quantized states (rank-1 moments, a
 * shared Cholesky factor/error code matrix) use these directly so every state packs and encodes
 * the same way.
 *
 * <p>On DJL's PyTorch engine {@link CodeKernels} runs every operation as one call into a small
 * TorchScript module of fused libtorch kernels over uint8 codes and int32 indices; plain NDArray
 * operations give the same results on any engine. Codes are returned as {@code uint8}; codes given as input may be
 * of any integer or integral float type. Every result is created in the manager of its (first)
 * input. These static methods use plain NDArray operations on every engine (they load no module);
 * for the fused kernels make a {@link CodeKernels}, which has the same operations, gives the same
 * results and frees its module when closed.
 */
public final class DeviceCodes {
  private DeviceCodes() {}

  /**
   * Codes and block scales of a block-wise absmax encoding.
   *
   * @param codes one {@code uint8} code per input element, unpacked
   * @param scales one {@code float32} absmax scale per block
   */
  public record BlockEncoding(NDArray codes, NDArray scales) {}

  /**
   * Block-wise absmax encoding of a tensor, flattened row-major: blocks of {@code blockSize}
   * elements (the last may be shorter), scale = max |x| of the block, code = nearest code of
   * {@code x·(1/scale)}; an all-zero block encodes as {@link Codebook#zeroCode()}.
   *
   * @throws IllegalArgumentException if the tensor is empty or the block size is not positive
   */
  public static BlockEncoding encodeBlocks(NDArray tensor, Codebook codebook, int blockSize) {
    return encodeBlocks(tensor, codebook, blockSize, tensor.size());
  }

  /**
   * Block-wise absmax encoding with blocks inside rows: the row-major flattening is read as rows
   * of {@code rowLength} elements, each split into {@code ceil(rowLength / blockSize)} blocks
   * (see {@link BlockGrid}); scales are numbered row by row. {@code rowLength = size} is the flat
   * layout.
   *
   * @throws IllegalArgumentException if the tensor is empty, the block size is not positive or the
   *     row length does not divide the size
   */
  public static BlockEncoding encodeBlocks(
      NDArray tensor, Codebook codebook, int blockSize, long rowLength) {
    return CodeKernels.plain().encodeBlocks(tensor, codebook, blockSize, rowLength);
  }

  /**
   * The values {@code codebook[code]·scale} of block-encoded codes, flattened: the first {@code
   * codes.size()} values, as {@code float32}.
   *
   * @throws IllegalArgumentException unless there is one scale per block of {@code blockSize}
   *     codes (the last block may be shorter)
   */
  public static NDArray decodeBlocks(
      NDArray codes, NDArray scales, Codebook codebook, int blockSize) {
    return decodeBlocks(codes, scales, codebook, blockSize, Math.max(1, codes.size()));
  }

  /**
   * The values {@code codebook[code]·scale} of codes encoded with blocks inside rows of {@code
   * rowLength} elements (see {@link #encodeBlocks(NDArray, Codebook, int, long)}), flattened, as
   * {@code float32}.
   *
   * @throws IllegalArgumentException if the row length does not divide the number of codes or
   *     there is not exactly one scale per block
   */
  public static NDArray decodeBlocks(
      NDArray codes, NDArray scales, Codebook codebook, int blockSize, long rowLength) {
    return CodeKernels.plain()
        .decodeBlocks(codes, scales, codebook, blockSize, rowLength);
  }

  /**
   * The nearest code of every element of {@code y} (values already scaled), as {@code uint8} of
   * y's shape: the number of thresholds strictly below y.
   */
  public static NDArray nearestCodes(NDArray y, Codebook codebook) {
    return CodeKernels.plain().nearestCodes(y, codebook);
  }

  /** The codebook values of {@code codes} (any integer or exact-float type) as float32. */
  public static NDArray values(NDArray codes, Codebook codebook) {
    return NDArrayCodes.values(codes, codebook);
  }

  /**
   * Packs codes (one per element, small non-negative integers of any numeric type, read
   * row-major) into {@code ceil(n·bits/8)} {@code uint8} bytes, byte for byte as {@link
   * CodePacker#pack}.
   *
   * @throws IllegalArgumentException if {@code bits} is not in [1, 8]
   */
  public static NDArray pack(NDArray codes, int bits) {
    return CodeKernels.plain().pack(codes, bits);
  }

  /**
   * Unpacks {@code count} codes, as {@code uint8}, from a packed {@code uint8} stream (the inverse
   * of {@link #pack}).
   *
   * @throws IllegalArgumentException if {@code bits} is not in [1, 8], or unless the stream has
   *     exactly the {@code ceil(count·bits/8)} bytes {@code count} codes need (checked before
   *     anything of size {@code count} is made)
   */
  public static NDArray unpack(NDArray packed, int bits, long count) {
    return CodeKernels.plain().unpack(packed, bits, count);
  }
}
