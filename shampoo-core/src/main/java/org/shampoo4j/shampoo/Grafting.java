package org.shampoo4j.shampoo;

import ai.djl.ndarray.NDArray;

/**
 * How Shampoo rescales its preconditioned direction P to the norm of the gradient G before the
 * base optimizer sees it (docs/algorithms.md §1, §8): {@code P ← P·‖G‖/(‖P‖ + 1e-12)}, Frobenius norms.
 */
public enum Grafting {
  /** No rescaling: the base optimizer gets {@code L̂·G·R̂} as it is. */
  OFF,
  /**
   * Once per parameter, after the blocks' directions are merged back into the parameter's shape,
   * with the norms of the whole tensors: what the official 4-bit Shampoo does. The default.
   */
  PER_TENSOR,
  /** Each block's direction to the norm of its own gradient block, independently. */
  PER_BLOCK;

  /** Added to ‖P‖ (as the official code does) so that a zero direction stays zero. */
  static final float NORM_FLOOR = 1e-12f;

  /**
   * {@code direction·‖gradient‖/(‖direction‖ + 1e-12)}, computed on the arrays' device with no
   * host synchronisation.
   *
   * @param direction the preconditioned direction P (fp32)
   * @param gradient the gradient G it replaces, of the same size (fp32)
   */
  static NDArray rescale(NDArray direction, NDArray gradient) {
    return direction.mul(scale(direction, gradient));
  }

  /**
   * The factor {@code ‖gradient‖/(‖direction‖ + 1e-12)} of {@link #rescale}, as a device scalar
   * (the sharded step computes it once and applies it to blocks on their owner devices).
   */
  static NDArray scale(NDArray direction, NDArray gradient) {
    NDArray gNorm = gradient.square().sum().sqrt();
    NDArray pNorm = direction.square().sum().sqrt().add(NORM_FLOOR);
    return gNorm.div(pNorm);
  }
}
