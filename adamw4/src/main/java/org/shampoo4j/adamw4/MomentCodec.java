package org.shampoo4j.adamw4;

import ai.djl.ndarray.NDArray;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.QuantizationSpec;

/**
 * How one moment of {@link AdamW4Bit} is stored between steps: a quantizer choice (codebook,
 * normalization, block size, size threshold). Implementations are immutable and thread-safe; the
 * factories here build the two normalizations of docs/algorithms.md §5.
 */
public interface MomentCodec {
  /** A short description for reports, for example {@code rank1(zero-free-linear/4)}. */
  String describe();

  /**
   * Stores a moment. The result's buffers are attached to {@code moment}'s manager; the input is
   * neither modified nor closed. No host round trip.
   *
   * @param moment the fp32 moment, any shape, non-empty and finite
   */
  QuantizedMoment encode(NDArray moment);

  /**
   * This codec with its device kernels taken from {@code kernels}, which the caller owns ({@link
   * AdamW4Bit} makes them with its state's manager and closes them with its state). The default,
   * for codecs without such kernels, is this codec itself.
   */
  default MomentCodec on(CodeKernels kernels) {
    return this;
  }

  /**
   * Block-wise absmax quantization (docs/algorithms.md §2): flatten, blocks of {@code blockSize}, one fp32 scale
   * per block.
   *
   * @param codebook the codebook (for AdamW's first moment, the signed dynamic-exponent map)
   * @param blockSize elements per block (128 for AdamW states)
   * @param minQuantizedElements tensors with fewer elements stay fp32 ({@link Long#MAX_VALUE}:
   *     lossless)
   */
  static MomentCodec blockwise(Codebook codebook, int blockSize, long minQuantizedElements) {
    return blockwise(spec(codebook, blockSize, minQuantizedElements));
  }

  /**
   * Block-wise absmax quantization (docs/algorithms.md §2) under {@code spec}: its codebook, block
   * size, blocking and minimum quantized size.
   */
  static MomentCodec blockwise(QuantizationSpec spec) {
    return new BlockwiseMomentCodec(spec);
  }

  /**
   * Rank-1 normalization (docs/algorithms.md §5) for tensors with at least two dimensions larger than one, and
   * block-wise quantization with the same codebook for the others (vectors, where the rank-1 rule
   * degenerates to one scale per element).
   *
   * @param codebook the codebook (for AdamW's second moment, a linear map without zero)
   * @param blockSize elements per block of the vector fallback
   * @param minQuantizedElements tensors with fewer elements stay fp32 ({@link Long#MAX_VALUE}:
   *     lossless)
   */
  static MomentCodec rank1(Codebook codebook, int blockSize, long minQuantizedElements) {
    return rank1(spec(codebook, blockSize, minQuantizedElements));
  }

  /**
   * Rank-1 normalization (docs/algorithms.md §5) with {@code spec}'s codebook and minimum
   * quantized size, and block-wise quantization under {@code spec} for vectors.
   */
  static MomentCodec rank1(QuantizationSpec spec) {
    return new Rank1MomentCodec(spec);
  }

  // Flat blocks, as AdamW's states have always used; the spec checks the values.
  private static QuantizationSpec spec(
      Codebook codebook, int blockSize, long minQuantizedElements) {
    return QuantizationSpec.builder(codebook).blockSize(blockSize)
        .minQuantizedElements(minQuantizedElements).build();
  }
}
