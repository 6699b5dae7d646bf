package org.shampoo4j.quant;

import java.util.Objects;

/**
 * The quantization blocks of a tensor: where each block starts and ends in the row-major
 * flattening, and which block an element belongs to. Under {@link Blocking#ROWS} the blocks of
 * row r are numbered {@code r·perRow .. r·perRow + perRow − 1}; under {@link Blocking#FLAT} the
 * whole tensor is one row. Immutable.
 */
public final class BlockGrid {
  private final long elements;
  private final long rowLength;
  private final long perRow;
  private final int blockSize;

  private BlockGrid(long elements, long rowLength, int blockSize) {
    this.elements = elements;
    this.rowLength = rowLength;
    this.blockSize = blockSize;
    this.perRow = rowLength == 0 ? 0 : Shapes.blockCount(rowLength, blockSize);
  }

  /**
   * The grid of a tensor.
   *
   * @throws IllegalArgumentException if the block size is not positive or a dimension is negative
   */
  public static BlockGrid of(int[] shape, int blockSize, Blocking blocking) {
    Objects.requireNonNull(blocking, "blocking");
    if (blockSize <= 0) {
      throw new IllegalArgumentException("block size must be positive, got " + blockSize);
    }
    return new BlockGrid(Shapes.elementCount(shape), blocking.rowLength(shape), blockSize);
  }

  /** Number of blocks. */
  public long blockCount() {
    return rowLength == 0 ? 0 : elements / rowLength * perRow;
  }

  /** Elements of a row: blocks never cross a row boundary. */
  public long rowLength() {
    return rowLength;
  }

  /** Blocks per row, {@code ceil(rowLength / blockSize)}. */
  public long blocksPerRow() {
    return perRow;
  }

  /** Row-major index of the first element of block {@code b}. */
  public long from(long b) {
    return b / perRow * rowLength + b % perRow * blockSize;
  }

  /** Row-major index one past the last element of block {@code b}. */
  public long to(long b) {
    long rowEnd = (b / perRow + 1) * rowLength;
    return Math.min(from(b) + blockSize, rowEnd);
  }

  /** The block of the element at row-major index {@code i}. */
  public long blockOf(long i) {
    return i / rowLength * perRow + i % rowLength / blockSize;
  }
}
