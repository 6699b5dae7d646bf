package org.shampoo4j.shampoo.training;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * An optimizer that can update a whole training step's weights from their own gradients in one
 * go, so that a training loop on one device ({@link DirectStep}) need not take a gradient handle
 * per parameter from the engine and hand each to {@code Optimizer.update}: on a GPU each such
 * handle is a native call the host pays for every parameter and step.
 */
public interface OwnGradientUpdates {
  /**
   * Updates each weight from its own (attached) gradient, exactly as {@code update(parameterIds[i],
   * weights[i], weights[i].getGradient())} in order would.
   *
   * @param parameterIds the ids DJL's trainer uses ({@code Parameter.getId()})
   * @param weights the parameters' arrays, in the same order
   */
  void updateFromGradients(List<String> parameterIds, List<NDArray> weights);
}
