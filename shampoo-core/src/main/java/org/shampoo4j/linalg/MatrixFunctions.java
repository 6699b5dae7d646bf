package org.shampoo4j.linalg;

import ai.djl.ndarray.NDArray;
import java.util.Optional;

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

  /**
   * Matrix functions on the same device whose {@link #eigh} solves in float64, for retrying an
   * eigendecomposition that failed in float32 (as Meta's Shampoo does); empty when this instance
   * already solves in float64 or has no wider arithmetic. The result is owned by this instance.
   */
  default Optional<MatrixFunctions> wider() {
    return Optional.empty();
  }
}
