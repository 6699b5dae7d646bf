package org.shampoo4j.shampoo.memory;

import java.util.Objects;
import org.shampoo4j.quant.MemoryFootprint;

/**
 * Optimizer memory held for one parameter, from its real buffers.
 *
 * @param parameterId the state key (the DJL parameter id, or {@code id@device} for a replica)
 * @param shape the parameter's shape, as text
 * @param preconditioned whether Shampoo preconditions it (else the base optimizer alone runs)
 * @param blocks number of Shampoo blocks (0 if not preconditioned)
 * @param preconditioners bytes of all its L and R states (statistics and inverse roots)
 * @param baseOptimizer bytes of the base optimizer's state for it
 * @param rejectedUpdates statistic updates and root refreshes its preconditioners rejected (the
 *     previous state was kept each time)
 */
public record ParameterMemory(String parameterId, String shape, boolean preconditioned, int blocks,
    MemoryFootprint preconditioners, MemoryFootprint baseOptimizer, long rejectedUpdates) {

  /** Checks the fields. */
  public ParameterMemory {
    Objects.requireNonNull(parameterId, "parameterId");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(preconditioners, "preconditioners");
    Objects.requireNonNull(baseOptimizer, "baseOptimizer");
  }

  /** Preconditioner and base-optimizer bytes together. */
  public MemoryFootprint total() {
    return preconditioners.plus(baseOptimizer);
  }
}
