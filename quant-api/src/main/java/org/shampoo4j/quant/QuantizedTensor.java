package org.shampoo4j.quant;

/**
 * A block-wise quantized tensor, wherever its buffers live (Java heap or a DJL device).
 * Implementations are immutable.
 */
public interface QuantizedTensor {
  /** The logical shape of the tensor that was quantized. */
  int[] shape();

  /** How the values are stored. */
  Layout layout();

  /** The exact bytes of the buffers held, by kind. */
  MemoryFootprint memory();

  /** The same content as a host value, for comparison and serialisation. */
  PackedTensor toHost();

  /** Number of logical elements (product of the shape). */
  default long elementCount() {
    long n = 1;
    for (int d : shape()) {
      n *= d;
    }
    return n;
  }
}
