package org.shampoo4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;

/**
 * One iterate {@code (X, M)} of the coupled Newton iteration for an inverse p-th root, the step
 * shared by {@link CoupledNewtonInverseRoot} and {@link OfficialComputePower} (they differ only in
 * the start, the error measure and when a step is kept).
 *
 * @param x the running approximation of {@code A^(−1/p)}
 * @param m the running {@code X^p·A}, which tends to I
 */
record NewtonIterate(NDArray x, NDArray m) {
  /**
   * The next iterate: {@code T = ((p+1)·I − M)/p}, {@code X·T}, {@code T^p·M}.
   *
   * @param scaledIdentity {@code (p+1)·I}, made once by the caller
   */
  NewtonIterate next(NDArray scaledIdentity, int p) {
    NDArray t = scaledIdentity.sub(m).div((float) p);
    return new NewtonIterate(x.matMul(t), MatrixPower.of(t, p).matMul(m));
  }

  /**
   * This iterate where the scalar boolean {@code keep} holds, otherwise {@code other}, chosen on
   * the device (no host read). DJL's where does not broadcast, so the decision is expanded to the
   * matrix shape.
   */
  NewtonIterate where(NDArray keep, NewtonIterate other) {
    NDArray mask = keep.broadcast(x.getShape());
    return new NewtonIterate(NDArrays.where(mask, x, other.x), NDArrays.where(mask, m, other.m));
  }
}
