package org.shampoo4j.shampoo.distributed;

import ai.djl.ndarray.NDArray;
import ai.djl.training.optimizer.Optimizer;

/**
 * What DJL 0.36.0's {@code LocalParameterServer.update} does with one parameter's replicas (docs/algorithms.md
 * §9), restated for tests that run without several devices: sum the replicas' gradients into
 * replica 0's, then call {@code optimizer.update} once per replica, in order, each time with a
 * fresh copy of the sum.
 */
final class LocalParameterServerReplay {
  private LocalParameterServerReplay() {}

  static void update(Optimizer optimizer, String parameterId, NDArray[] grads, NDArray[] params) {
    for (int i = 1; i < grads.length; i++) {
      try (NDArray copy = grads[i].toDevice(params[0].getDevice(), true)) {
        grads[0].addi(copy);
      }
    }
    try (NDArray sum = grads[0].duplicate()) {
      for (NDArray param : params) {
        try (NDArray copy = sum.duplicate()) {
          optimizer.update(parameterId, param, copy);
        }
      }
    }
  }
}
