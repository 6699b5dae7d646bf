package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * The first-order rule Shampoo hands its grafted direction to, as if it were the gradient (docs/algorithms.md
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
  default void update(
      String parameterId, NDArray weight, NDArray direction, float learningRate, int step) {
    update(parameterId, weight, direction, learningRate, step, UpdateGate.open());
  }

  /**
   * Updates {@code weight} in place, every write of the weight and of this parameter's state
   * selected by {@code gate}: with its flag false, the weight and every stored state array keep
   * their bits and state first created by this call is dropped again when the gate rolls back
   * ({@link UpdateGate#onRejected}). With an open gate (or a true flag) this is exactly the
   * ungated update.
   *
   * @param gate the update's gate ({@link UpdateGate#open()} for an unconditional update)
   */
  void update(String parameterId, NDArray weight, NDArray direction, float learningRate, int step,
      UpdateGate gate);

  /** The exact bytes of the state kept for one parameter (zero if it has none yet). */
  MemoryFootprint memory(String parameterId);

  /**
   * The settings that determine what the stored state means and how it continues, for a
   * checkpoint's configuration fingerprint; by default {@link #name()}.
   */
  default String configuration() {
    return name();
  }

  /**
   * The state kept for one parameter, exactly as stored, copied to the host ({@link
   * StateSnapshot#EMPTY} if it has none).
   *
   * @throws UnsupportedOperationException if this optimizer does not support checkpoints
   */
  default StateSnapshot saveState(String parameterId) {
    throw new UnsupportedOperationException(name() + " does not support checkpoints");
  }

  /**
   * Replaces the state of every parameter: parameters in {@code states} get the snapshot's state
   * (none for an empty snapshot), placed on the device of their weight in {@code weights}; all
   * other state is dropped. Everything is read and checked first; after a failure the state is
   * unchanged.
   *
   * @param states snapshots by parameter id
   * @param weights the weight of every parameter in {@code states}, by id
   * @throws IllegalArgumentException naming the parameter and entry that do not fit
   * @throws UnsupportedOperationException if this optimizer does not support checkpoints
   */
  default void restoreState(Map<String, StateSnapshot> states, Map<String, NDArray> weights) {
    throw new UnsupportedOperationException(name() + " does not support checkpoints");
  }

  /** Frees every parameter's state. */
  @Override
  void close();
}
