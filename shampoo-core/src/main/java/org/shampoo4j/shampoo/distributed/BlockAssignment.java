package org.shampoo4j.shampoo.distributed;

import java.util.List;

/**
 * Chooses the owner device of each {@link WorkUnit}. Implementations must be deterministic: the
 * same units and loads give the same owners, on every replica and every run.
 */
public interface BlockAssignment {
  /**
   * Assigns {@code units} to devices that already carry {@code loads}.
   *
   * @param units the units to place, in a stable order (ties are broken by it)
   * @param loads the current load of each device; its size is the device count, at least 1
   * @return the owners, in the units' order, and the loads after adding the units
   * @throws IllegalArgumentException if {@code loads} is empty or holds a negative load
   */
  Assignment assign(List<WorkUnit> units, List<Long> loads);

  /** Largest cost first, each to the least-loaded device ({@link GreedyAssignment}). */
  static BlockAssignment greedy() {
    return new GreedyAssignment();
  }
}
