package org.shampoo4j.quant;

/**
 * Exact bytes held by a piece of optimizer state, split by kind of buffer.
 *
 * @param codeBytes packed quantization codes
 * @param scaleBytes fp32 block scales
 * @param fp32Bytes everything kept in full precision (diagonals, small tensors, eigenvalues)
 */
public record MemoryFootprint(long codeBytes, long scaleBytes, long fp32Bytes) {
  /** Nothing held. */
  public static final MemoryFootprint ZERO = new MemoryFootprint(0, 0, 0);

  public MemoryFootprint {
    if (codeBytes < 0 || scaleBytes < 0 || fp32Bytes < 0) {
      throw new IllegalArgumentException("byte counts must be non-negative");
    }
  }

  /** A footprint of {@code count} fp32 values. */
  public static MemoryFootprint ofFp32(long count) {
    return new MemoryFootprint(0, 0, 4 * count);
  }

  /** All bytes together. */
  public long total() {
    return codeBytes + scaleBytes + fp32Bytes;
  }

  /** The sum of this and another footprint. */
  public MemoryFootprint plus(MemoryFootprint other) {
    return new MemoryFootprint(
        codeBytes + other.codeBytes, scaleBytes + other.scaleBytes, fp32Bytes + other.fp32Bytes);
  }

  /** Average bits per element for a state of {@code elements} logical values. */
  public double bitsPerElement(long elements) {
    if (elements <= 0) {
      throw new IllegalArgumentException("elements must be positive");
    }
    return 8.0 * total() / elements;
  }
}
