package org.shampoo4j.linalg;

import ai.djl.ndarray.NDArray;

/** Integer powers of a square matrix, shared by the Newton-type inverse roots. */
final class MatrixPower {
  private MatrixPower() {}

  /** {@code t^p} by repeated squaring (p ≥ 1), as the reference implementations compute it. */
  static NDArray of(NDArray t, int p) {
    NDArray result = null;
    NDArray base = t;
    int e = p;
    while (true) {
      if ((e & 1) == 1) {
        result = result == null ? base : result.matMul(base);
      }
      e >>= 1;
      if (e == 0) {
        return result;
      }
      base = base.matMul(base);
    }
  }
}
