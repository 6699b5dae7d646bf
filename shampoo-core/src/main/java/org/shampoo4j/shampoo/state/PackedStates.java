package org.shampoo4j.shampoo.state;

import org.shampoo4j.quant.PackedNDArray;

/**
 * Checkpoint entries of a {@link PackedNDArray}: its three buffers as stored ({@code codes},
 * {@code scales}, {@code fp32}) under a prefix, restored without re-quantization.
 */
public final class PackedStates {
  private PackedStates() {}

  /** Adds {@code prefix.codes}, {@code prefix.scales} and {@code prefix.fp32}. */
  public static StateSnapshot.Builder save(
      StateSnapshot.Builder builder, String prefix, PackedNDArray packed) {
    return builder.array(prefix + ".codes", packed.codes())
        .array(prefix + ".scales", packed.scales())
        .array(prefix + ".fp32", packed.fp32());
  }

  /**
   * A packed tensor described like {@code like} (shape, layout, codebook, block size) with the
   * buffers under {@code prefix}, created in the reader's manager.
   *
   * @throws IllegalArgumentException if a buffer is missing or has another type or shape
   */
  public static PackedNDArray restore(StateSnapshot.Reader reader, String prefix,
      PackedNDArray like) {
    return like.withBuffers(
        reader.array(prefix + ".codes", like.codes()),
        reader.array(prefix + ".scales", like.scales()),
        reader.array(prefix + ".fp32", like.fp32()));
  }
}
