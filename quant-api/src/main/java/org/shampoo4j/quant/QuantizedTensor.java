package org.shampoo4j.quant;

/**
 * A block-wise quantized tensor, wherever its buffers live (Java heap or a DJL device).
 * Implementations are immutable.
 */
public interface QuantizedTensor {
  /** What the buffers mean: shape, layout, codebook, code width and blocks. */
  PackedFormat format();

  /** The logical shape of the tensor that was quantized. */
  default int[] shape() {
    return format().shape();
  }

  /** How the values are stored. */
  default Layout layout() {
    return format().layout();
  }

  /** Identity of the codebook the codes index into. */
  default String codebookId() {
    return format().codebookId();
  }

  /** Code width. */
  default int bits() {
    return format().bits();
  }

  /** Elements per scale. */
  default int blockSize() {
    return format().blockSize();
  }

  /** How the blocks are laid out. */
  default Blocking blocking() {
    return format().blocking();
  }

  /** The blocks of this tensor. */
  default BlockGrid grid() {
    return format().grid();
  }

  /** The exact bytes of the buffers held, by kind. */
  MemoryFootprint memory();

  /** The same content as a host value, for comparison and serialisation. */
  PackedTensor toHost();

  /** Number of logical elements (product of the shape). */
  default long elementCount() {
    return format().elementCount();
  }
}
