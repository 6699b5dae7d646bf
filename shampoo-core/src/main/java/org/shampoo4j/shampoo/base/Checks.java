package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;

/** Argument checks shared by the base optimizers, with messages naming the parameter. */
final class Checks {
  private Checks() {}

  static void requireSameShape(String parameterId, NDArray weight, NDArray direction) {
    if (!weight.getShape().equals(direction.getShape())) {
      throw new IllegalArgumentException("parameter '" + parameterId + "': direction shape "
          + direction.getShape() + " differs from weight shape " + weight.getShape());
    }
  }

  static void requireStateShape(String parameterId, NDArray state, NDArray weight) {
    if (!state.getShape().equals(weight.getShape())) {
      throw new IllegalArgumentException("parameter '" + parameterId + "' changed shape from "
          + state.getShape() + " to " + weight.getShape() + " between steps");
    }
  }

  static void requireFiniteRate(String parameterId, float learningRate) {
    if (!Float.isFinite(learningRate)) {
      throw new IllegalStateException(
          "learning rate for parameter '" + parameterId + "' is not finite: " + learningRate);
    }
  }

  static void requirePositiveStep(String parameterId, int step) {
    if (step < 1) {
      throw new IllegalArgumentException(
          "step for parameter '" + parameterId + "' must be >= 1, got " + step);
    }
  }
}
