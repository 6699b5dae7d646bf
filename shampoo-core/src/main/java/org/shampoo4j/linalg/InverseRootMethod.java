package org.shampoo4j.linalg;

import ai.djl.ndarray.NDArray;

/**
 * A way to compute {@code A^(-1/p)} of a symmetric positive definite matrix (docs/algorithms.md §1): by
 * symmetric eigendecomposition, or by the matmul-only coupled Newton iteration.
 */
public interface InverseRootMethod {
  /** A short name for reports. */
  String name();

  /**
   * {@code A^(-1/p)} for a symmetric positive definite A (the caller has already added any ridge).
   *
   * @param spd a symmetric positive definite matrix
   * @param p the root, a positive integer (Shampoo uses 4)
   */
  NDArray inverseRoot(NDArray spd, int p);
}
