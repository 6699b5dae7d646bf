package org.shampoo4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Björck orthonormalization (docs/algorithms.md §3): each step {@code V ← 1.5·V − 0.5·V·Vᵀ·V}, which pulls the
 * singular values of a nearly orthogonal V toward 1 (the Newton–Schulz iteration for the
 * orthogonal polar factor). It converges when every singular value of V lies in {@code (0, √3)};
 * 4-bit dequantized eigenvector matrices are well inside.
 *
 * <p>Stateless; matrix products only, on the input's device. The method is static; the public
 * constructor exists only so an instance can be passed around where a value is expected.
 */
public final class Bjorck {
  /** A stateless instance. */
  public Bjorck() {}

  /**
   * Applies {@code steps} Björck steps to a square matrix.
   *
   * @param v a square float32 matrix (e.g. dequantized eigenvectors)
   * @param steps number of steps, at least 0 (0 returns a copy)
   * @return a new array, attached to {@code v}'s manager
   */
  public static NDArray orthonormalize(NDArray v, int steps) {
    MatrixChecks.requireSquareFloat(v, "v");
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be >= 0, got " + steps);
    }
    NDManager original = v.getManager();
    try (NDManager scope = original.newSubManager(v.getDevice())) {
      v.tempAttach(scope);
      NDArray current = v.duplicate();
      for (int i = 0; i < steps; i++) {
        NDArray vvt = current.matMul(current.transpose());
        current = current.mul(1.5f).sub(vvt.matMul(current).mul(0.5f));
      }
      current.attach(original);
      return current;
    }
  }
}
