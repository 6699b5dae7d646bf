package org.shampoo4j.linalg;

import ai.djl.ndarray.NDArray;

/**
 * Dense symmetric-matrix functions on DJL arrays, computed on the arrays' own device.
 *
 * <p>Inputs are square {@code float32} matrices; results are new arrays attached to the input's
 * manager. Implementations must not copy data to the host inside these calls.
 */
public interface MatrixFunctions {
  /**
   * Symmetric eigendecomposition {@code A = V·diag(λ)·Vᵀ}.
   *
   * @param symmetric a symmetric matrix (only its lower triangle need be read)
   * @return eigenvalues in ascending order and eigenvectors as the columns of a matrix
   */
  EigenPairs eigh(NDArray symmetric);

  /**
   * The orthogonal factor Q of {@code A = Q·R} with {@code diag(R) >= 0}, so Q is unique for
   * full-rank A.
   */
  NDArray qr(NDArray a);

  /**
   * The lower-triangular Cholesky factor C with {@code A = C·Cᵀ}.
   *
   * @throws NotPositiveDefiniteException if A is not numerically positive definite
   */
  NDArray cholesky(NDArray spd);

  /**
   * An estimate of the largest eigenvalue of a symmetric positive semi-definite matrix, as a scalar
   * array on the matrix's device (no host synchronisation).
   */
  NDArray maxEigenvalue(NDArray psd);
}
