package org.shampoo4j.quant;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the buffers of a quantized tensor mean, wherever they live: the logical shape, the
 * layout, the codebook the codes index into, the code width and how the blocks are laid out. The
 * one description {@link PackedTensor} (heap) and {@link PackedNDArray} (device) share; {@link
 * QuantizedTensor}'s accessors read it.
 *
 * @param shape the logical shape of the tensor that was quantized (copied in and out)
 * @param layout how the values are stored
 * @param codebookId {@link Codebook#id()} of the codebook the codes index into
 * @param bits code width
 * @param blockSize elements per scale
 * @param blocking how the blocks are laid out (which scale an element uses)
 */
public record PackedFormat(int[] shape, Layout layout, String codebookId, int bits,
    int blockSize, Blocking blocking) {

  /** Copies the shape; every field must be present. */
  public PackedFormat {
    shape = Objects.requireNonNull(shape, "shape").clone();
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(codebookId, "codebookId");
    Objects.requireNonNull(blocking, "blocking");
  }

  /** A copy of the logical shape. */
  @Override
  public int[] shape() {
    return shape.clone();
  }

  /** Number of logical elements (product of the shape). */
  public long elementCount() {
    return Shapes.elementCount(shape);
  }

  /** The blocks of a tensor of this format. */
  public BlockGrid grid() {
    return BlockGrid.of(shape, blockSize, blocking);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PackedFormat f
        && layout == f.layout
        && bits == f.bits
        && blockSize == f.blockSize
        && blocking == f.blocking
        && codebookId.equals(f.codebookId)
        && Arrays.equals(shape, f.shape);
  }

  @Override
  public int hashCode() {
    return 31 * Objects.hash(layout, bits, blockSize, blocking, codebookId)
        + Arrays.hashCode(shape);
  }

  /** For example {@code [64, 64] OFF_DIAGONAL linear2 block=64 ROWS}. */
  @Override
  public String toString() {
    return Arrays.toString(shape) + " " + layout + " " + codebookId + " block=" + blockSize + " "
        + blocking;
  }
}
