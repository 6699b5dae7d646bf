package org.shampoo4j.shampoo;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * How Shampoo views one parameter: as a {@code rows × cols} matrix, cut into blocks of at most
 * {@code maxOrder} rows and columns. Blocks are cut greedily: full blocks of {@code maxOrder}, then one smaller remainder
 * (so a dimension of 2500 with max order 1200 becomes 1200, 1200, 100). Each block gets its own
 * left (rows) and right (columns) statistic. Immutable.
 *
 * <p>The matrix view follows the official code: size-1 dimensions are dropped first, then a
 * tensor of rank > 2 becomes {@code (shape[0], product of the rest)}. So a {@code (1, 64, 3, 3)}
 * convolution kernel is preconditioned as 64 × 9, and a {@code (1, n)} or {@code (n, 1)} weight is
 * a vector, left to the base optimizer.
 *
 * @param rows rows of the matrix view
 * @param cols columns of the matrix view
 * @param rowCuts block boundaries along rows, starting at 0 and ending at {@code rows}
 * @param colCuts block boundaries along columns, starting at 0 and ending at {@code cols}
 */
public record BlockLayout(int rows, int cols, List<Integer> rowCuts, List<Integer> colCuts) {

  /** Copies the cut lists. */
  public BlockLayout {
    rowCuts = List.copyOf(rowCuts);
    colCuts = List.copyOf(colCuts);
  }

  /**
   * The layout of a parameter, or empty if Shampoo does not precondition it: rank 0 or 1 once
   * size-1 dimensions are dropped, or a matrix view with a dimension smaller than {@code
   * minDimension} (a "tiny" parameter; the default 2 excludes nothing more, since every remaining
   * dimension is at least 2).
   *
   * @param shape the parameter's shape
   * @param maxOrder the largest statistic order
   * @param minDimension the smallest matrix-view dimension that is preconditioned
   * @throws IllegalArgumentException if a dimension of the matrix view exceeds {@code int} range
   */
  public static Optional<BlockLayout> of(Shape shape, int maxOrder, int minDimension) {
    long[] kept = Arrays.stream(shape.getShape()).filter(d -> d != 1).toArray();
    if (kept.length < 2 || shape.size() == 0) {
      return Optional.empty();
    }
    long r = kept[0];
    long c = shape.size() / r;
    if (r > Integer.MAX_VALUE || c > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("parameter of shape " + shape + " has a matrix view "
          + r + "x" + c + " beyond int range");
    }
    if (r < minDimension || c < minDimension) {
      return Optional.empty();
    }
    return Optional.of(
        new BlockLayout((int) r, (int) c, cuts((int) r, maxOrder), cuts((int) c, maxOrder)));
  }

  private static List<Integer> cuts(int n, int maxOrder) {
    List<Integer> cuts = new ArrayList<>();
    for (int at = 0; at < n; at += maxOrder) {
      cuts.add(at);
    }
    cuts.add(n);
    return cuts;
  }

  /** Number of blocks along rows. */
  public int rowBlocks() {
    return rowCuts.size() - 1;
  }

  /** Number of blocks along columns. */
  public int colBlocks() {
    return colCuts.size() - 1;
  }

  /** Total number of blocks. */
  public int blockCount() {
    return rowBlocks() * colBlocks();
  }

  /** The matrix-view shape. */
  public Shape matrixShape() {
    return new Shape(rows, cols);
  }

  /**
   * The blocks in row-major order: block {@code i} is block-row {@code i / colBlocks()}, block
   * column {@code i % colBlocks()}.
   */
  public List<Block> blocks() {
    List<Block> out = new ArrayList<>();
    for (int i = 0; i < rowBlocks(); i++) {
      for (int j = 0; j < colBlocks(); j++) {
        out.add(new Block(out.size(), i, j, rowCuts.get(i), rowCuts.get(i + 1), colCuts.get(j),
            colCuts.get(j + 1)));
      }
    }
    return out;
  }

  /**
   * One block: rows {@code [rowStart, rowEnd)} and columns {@code [colStart, colEnd)} of the
   * matrix view.
   *
   * @param index row-major index among all blocks
   * @param blockRow block-row index
   * @param blockCol block-column index
   * @param rowStart first row (inclusive)
   * @param rowEnd last row (exclusive)
   * @param colStart first column (inclusive)
   * @param colEnd last column (exclusive)
   */
  public record Block(int index, int blockRow, int blockCol, int rowStart, int rowEnd,
      int colStart, int colEnd) {
    /** Rows of the block: the order of its left statistic. */
    public int rows() {
      return rowEnd - rowStart;
    }

    /** Columns of the block: the order of its right statistic. */
    public int cols() {
      return colEnd - colStart;
    }
  }
}
