package org.shampoo4j.shampoo;

import ai.djl.ndarray.NDManager;
import org.shampoo4j.linalg.MatrixFunctions;

/**
 * Makes the {@link MatrixFunctions} for one device. The optimizer calls it once per device it
 * meets, with a manager on that device that the optimizer owns; if the result is {@link
 * AutoCloseable} the optimizer closes it when it is closed. No instance is shared between
 * optimizers, so there is no static state.
 */
@FunctionalInterface
public interface MatrixFunctionsFactory {
  /**
   * Matrix functions computing on {@code manager}'s device.
   *
   * @param manager a manager on the target device, owned by the optimizer
   */
  MatrixFunctions create(NDManager manager);
}
