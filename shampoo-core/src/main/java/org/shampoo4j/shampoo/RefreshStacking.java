package org.shampoo4j.shampoo;

import ai.djl.Device;

/**
 * How statistic and root refreshes compute the blocks of one order: as one stack (a few kernels
 * per order instead of a few dozen per block: what a GPU needs) or each block alone (bit for bit
 * the per-block path). Stacked results are within float32 and solver rounding of the per-block
 * ones, not bit for bit, because libtorch's batched CPU kernels round unlike its one-matrix ones;
 * runs and resumes stay bit for bit either way.
 */
public enum RefreshStacking {
  /** Stacked on GPUs, each block alone elsewhere (the default). */
  GPU_ONLY,
  /** Stacked on every device. */
  ALWAYS,
  /** Each block alone on every device. */
  NEVER;

  /** Whether refreshes on {@code device} stack the blocks of one order. */
  public boolean stacks(Device device) {
    return switch (this) {
      case GPU_ONLY -> device.isGpu();
      case ALWAYS -> true;
      case NEVER -> false;
    };
  }
}
