package org.shampoo4j.shampoo.distributed;

import java.util.Objects;

/**
 * One piece of optimizer state and work that a single device owns: a Shampoo block of a parameter
 * (its two statistics, their roots and the base optimizer's state for the block's elements), or a
 * whole parameter that Shampoo does not precondition (base state only).
 *
 * @param parameterId the DJL parameter id
 * @param index the block's index in the parameter's {@code BlockLayout} (0 for an unblocked or
 *     unpreconditioned parameter)
 * @param cost the unit's cost under the chosen {@link BlockCost}, non-negative
 */
public record WorkUnit(String parameterId, int index, long cost) {
  /** Checks the fields. */
  public WorkUnit {
    Objects.requireNonNull(parameterId, "parameterId");
    if (index < 0) {
      throw new IllegalArgumentException("unit index must be non-negative, got " + index);
    }
    if (cost < 0) {
      throw new IllegalArgumentException("unit cost must be non-negative, got " + cost);
    }
  }
}
