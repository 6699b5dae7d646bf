package org.shampoo4j.quant;

/**
 * How a tensor is split into quantization blocks (each block has one fp32 absmax scale). The codes
 * are packed the same way in both: one continuous row-major stream (so an odd row length never
 * makes two rows share a nibble inconsistently).
 */
public enum Blocking {
  /** Blocks of B consecutive elements of the row-major flattening; a block may cross rows. */
  FLAT,
  /**
   * Blocks never cross a row (the last dimension): each row is split into {@code ceil(rowLength /
   * B)} blocks, the last one shorter when B does not divide the row length. For a square matrix
   * this is the official 4-bit Shampoo kernels' layout (grid = rows × ⌈n/B⌉, docs/algorithms.md §8). A tensor of
   * rank 0 or 1 is one row, so both blockings agree there.
   */
  ROWS;

  /** Elements per row under this blocking: the last dimension for {@link #ROWS}, else all. */
  long rowLength(int[] shape) {
    long n = Shapes.elementCount(shape);
    if (this == FLAT || shape.length < 2 || n == 0) {
      return n;
    }
    return shape[shape.length - 1];
  }

  /** Number of blocks (and scales) of a tensor of {@code shape}. */
  public long blockCount(int[] shape, int blockSize) {
    if (blockSize <= 0) {
      throw new IllegalArgumentException("block size must be positive, got " + blockSize);
    }
    long n = Shapes.elementCount(shape);
    if (n == 0) {
      return 0;
    }
    long row = rowLength(shape);
    return n / row * Shapes.blockCount(row, blockSize);
  }
}
