package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A base optimizer whose rule {@link BaseStepKernels} runs for all parameters of a step in one
 * call, bit for bit as its per-parameter {@link BaseOptimizer#update}.
 */
interface FusedBaseRule {
  /**
   * Updates every parameter of {@code updates} at once (state keyed by each update's key): creates
   * missing state (adding its removal to the update's undo list), runs the module, and returns its
   * checks ({@link BaseStepKernels#sgd}).
   *
   * @throws IllegalArgumentException as the per-parameter update, before anything is written
   */
  NDArray updateAll(BaseStepKernels kernels, List<BaseStepBatch.Pending> updates,
      BaseStepKernels.Inputs inputs);
}
