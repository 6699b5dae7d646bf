package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands made on the device. DJL's scalar overloads ({@code mul(Number)}, {@code
 * addi(Number)}, ...) copy the value from host memory into a new device array; on a GPU that copy
 * waits for every queued kernel, so each scalar operation of a step was a host synchronisation.
 * A 0-dimensional float32 array filled on the device is the same operand (the overloads build
 * exactly that, from the same float) without the wait. Stateless.
 */
public final class DeviceScalars {
  private DeviceScalars() {}

  /** {@code value} as a 0-dimensional float32 array in {@code like}'s manager and device. */
  public static NDArray of(NDArray like, float value) {
    return like.getManager().full(new Shape(), value, DataType.FLOAT32);
  }
}
