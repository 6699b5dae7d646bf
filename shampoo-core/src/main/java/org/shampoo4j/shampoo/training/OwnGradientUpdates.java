package org.shampoo4j.shampoo.training;

import ai.djl.ndarray.NDArray;
import ai.djl.training.optimizer.Optimizer;
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

  /**
   * Checks that {@code parameterIds} and {@code weights} pair up.
   *
   * @throws IllegalArgumentException if the lists differ in length
   */
  static void requirePairs(List<String> parameterIds, List<NDArray> weights) {
    if (parameterIds.size() != weights.size()) {
      throw new IllegalArgumentException(parameterIds.size() + " parameter ids but "
          + weights.size() + " weights");
    }
  }

  /**
   * The one-parameter-at-a-time form of {@link #updateFromGradients} for any optimizer: {@code
   * optimizer.update} of each pair in order, each with a handle of its own on the weight's
   * gradient, closed after the update as DJL closes its copy.
   *
   * @throws IllegalArgumentException if the lists differ in length
   */
  static void updateEach(Optimizer optimizer, List<String> parameterIds, List<NDArray> weights) {
    requirePairs(parameterIds, weights);
    for (int i = 0; i < weights.size(); i++) {
      try (NDArray gradient = weights.get(i).getGradient()) {
        optimizer.update(parameterIds.get(i), weights.get(i), gradient);
      }
    }
  }
}
