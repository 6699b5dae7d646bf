package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import org.shampoo4j.quant.MemoryFootprint;

/**
 * The first-order rule Shampoo hands its grafted direction to, as if it were the gradient (SPEC
 * §1): SGD with momentum, AdamW, or 4-bit AdamW. It also updates the parameters Shampoo does not
 * precondition (biases, norms, tiny tensors) from their raw gradients.
 *
 * <p>Stateful: it keeps one state per parameter id, created on first use in the weight's manager
 * and on its device.
 */
public interface BaseOptimizer extends AutoCloseable {
  /** A short name for reports, for example {@code sgd-momentum} or {@code adamw}. */
  String name();

  /**
   * Updates {@code weight} in place.
   *
   * @param parameterId the parameter's stable id
   * @param weight the parameter, updated in place
   * @param direction the update direction, same shape as weight (the gradient or Shampoo's
   *     grafted direction)
   * @param learningRate the learning rate for this step
   * @param step the 1-based update count of this parameter (AdamW's bias correction uses it)
   */
  void update(String parameterId, NDArray weight, NDArray direction, float learningRate, int step);

  /** The exact bytes of the state kept for one parameter (zero if it has none yet). */
  MemoryFootprint memory(String parameterId);

  /** Frees every parameter's state. */
  @Override
  void close();
}
