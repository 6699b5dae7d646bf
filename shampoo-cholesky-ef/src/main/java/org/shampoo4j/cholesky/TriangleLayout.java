package org.shampoo4j.cholesky;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Where the entries of an n×n matrix go, as tensor operations: the strictly-lower triangle read in
 * row-major order as a vector of {@code n(n−1)/2} values and put back, and the off-diagonal
 * positions of a square matrix read in row-major order as a stream of {@code n(n−1)} values.
 *
 * <p>The gather indices are computed on the device from {@code arange} comparisons each call
 * rather than kept as persistent index arrays: an {@code int64} index over the triangle would cost
 * {@code 4·n²} bytes per order, several times the 4-bit state it serves, while recomputing it
 * costs a few element-wise operations next to the O(n³) factorisation. Nothing loops over elements
 * in Java. Results are created in the input's manager. Immutable.
 */
final class TriangleLayout {
  /**
   * The largest order: {@code n²} flat positions must fit an {@code int} (46340² = 2,147,395,600
   * &lt; 2³¹), as the gathers index them with int arithmetic. A preconditioner that large would
   * also need index tensors of {@code 8·n²} bytes (17 GB) per factor; blocking (a smaller maximum
   * order) is the way to precondition such a dimension.
   */
  static final int MAX_ORDER = 46340;

  private final int order;
  private final long pairs;

  /**
   * The layout of one order.
   *
   * @param order n, from 1 to {@link #MAX_ORDER}
   * @throws IllegalArgumentException outside that range, naming the limit and its reason
   */
  TriangleLayout(int order) {
    if (order < 1) {
      throw new IllegalArgumentException("order must be positive, got " + order);
    }
    if (order > MAX_ORDER) {
      throw new IllegalArgumentException("the Cholesky representation supports preconditioner "
          + "orders up to " + MAX_ORDER + " (n² matrix positions must fit an int index), got "
          + order + "; use a smaller maximum order so the dimension is split into blocks");
    }
    this.order = order;
    this.pairs = (long) order * (order - 1) / 2;
  }

  /** The order n. */
  int order() {
    return order;
  }

  /** Entries of the strictly-lower triangle, {@code n(n−1)/2}. */
  long pairs() {
    return pairs;
  }

  /** The boolean n×n mask of the strictly-lower triangle (row index greater than column index). */
  NDArray strictLowerMask(NDManager scope) {
    NDArray index = scope.arange(0, order, 1, DataType.INT64);
    return index.reshape(order, 1).gt(index.reshape(1, order));
  }

  /**
   * The strictly-lower entries of a square matrix, row-major: entry (i, j), i &gt; j, at
   * i(i−1)/2+j. A gather at computed positions rather than a boolean mask: a masked selection has
   * a data-dependent size, which costs a device-to-host synchronisation on a GPU.
   */
  NDArray strictLower(NDArray square) {
    requireSquare(square);
    NDManager scope = square.getManager();
    NDArray positions;
    // The int64 index work (n² elements, twice an fp32 matrix each) in its own manager, every
    // intermediate closed as soon as it is used: left to the caller's scope, a dozen of them
    // stayed alive together and set chol4-ef's peak device memory at every T1/T2.
    try (NDManager index = scope.newSubManager()) {
      NDArray dump = triangleRankOrDump(index);
      NDArray flat = index.arange(0, order * order, 1, DataType.INT64);
      // Scatter every flat position to its triangle rank; positions outside the triangle all
      // land in one extra slot, which is dropped.
      NDArray slots = index.zeros(new Shape(pairs + 1), DataType.INT64);
      NDArray scattered = slots.scatter(dump, flat, 0);
      slots.close();
      dump.close();
      flat.close();
      positions = scattered.get("0:" + pairs);
      positions.attach(scope);
    }
    NDArray out = square.flatten().gather(positions, 0);
    positions.close();
    return out;
  }

  /**
   * For each flat position of the n×n matrix (row-major): its rank in the strictly-lower triangle
   * if it lies there, else {@code pairs} (an out-of-triangle slot). int64, length n², in {@code
   * scope}; at most two int64 n² arrays are alive at a time while it is made.
   */
  private NDArray triangleRankOrDump(NDManager scope) {
    NDArray mask = strictLowerMask(scope).flatten();
    NDArray inside = mask.toType(DataType.INT64, false);
    NDArray rank = inside.cumSum();
    inside.close();
    NDArray one = scope.create(1L);
    NDArray ranks = rank.sub(one);
    rank.close();
    NDArray dump = scope.create(pairs);
    NDArray out = NDArrays.where(mask, ranks, dump);
    ranks.close();
    mask.close();
    one.close();
    dump.close();
    return out;
  }

  /**
   * The n×n matrix whose strictly-lower triangle holds {@code vector} (row-major, as {@link
   * #strictLower} reads it) and which is zero elsewhere.
   */
  NDArray lowerMatrix(NDArray vector) {
    if (vector.size() != pairs) {
      throw new IllegalArgumentException(
          "a strictly-lower triangle of order " + order + " has " + pairs + " entries, got "
              + vector.getShape());
    }
    NDManager scope = vector.getManager();
    // Position in the vector for triangle entries, and `pairs` (an appended zero) elsewhere.
    NDArray source = triangleRankOrDump(scope);
    NDArray padded = vector.flatten().concat(scope.zeros(new Shape(1), vector.getDataType()));
    NDArray out = padded.gather(source, 0).reshape(order, order);
    source.close();
    return out;
  }

  /** The off-diagonal entries of a square matrix in row-major order: {@code n(n−1)} values. */
  NDArray offDiagonalStream(NDArray square) {
    requireSquare(square);
    if (order == 1) {
      return square.getManager().zeros(new Shape(0), square.getDataType());
    }
    // Dropping element 0 and viewing the rest as rows of n+1 puts every other diagonal entry at
    // the end of a row: (i+1)(n+1) − 1 is the last slot of row i.
    return square.flatten().get("1:").reshape(order - 1, order + 1)
        .get(":, 0:" + order).flatten();
  }

  /** The inverse of {@link #offDiagonalStream}: an n×n matrix with a zero diagonal. */
  NDArray fromOffDiagonalStream(NDArray stream) {
    if (stream.size() != 2 * pairs) {
      throw new IllegalArgumentException(
          "the off-diagonal of order " + order + " has " + 2 * pairs + " entries, got "
              + stream.getShape());
    }
    NDManager scope = stream.getManager();
    DataType type = stream.getDataType();
    if (order == 1) {
      return scope.zeros(new Shape(1, 1), type);
    }
    NDArray rows = stream.reshape(order - 1, order)
        .concat(scope.zeros(new Shape(order - 1, 1), type), 1)
        .flatten();
    return scope.zeros(new Shape(1), type).concat(rows).reshape(order, order);
  }

  private void requireSquare(NDArray square) {
    Shape s = square.getShape();
    if (s.dimension() != 2 || s.get(0) != order || s.get(1) != order) {
      throw new IllegalArgumentException(
          "expected a " + order + "×" + order + " matrix, got shape " + s);
    }
  }
}
