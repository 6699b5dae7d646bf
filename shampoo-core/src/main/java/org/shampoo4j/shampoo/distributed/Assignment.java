package org.shampoo4j.shampoo.distributed;

import java.util.List;

/**
 * The result of a {@link BlockAssignment}: the owner of each unit and every device's load after
 * adding the units. Immutable.
 *
 * @param owners owner device index per unit, in the units' order
 * @param loads every device's total cost afterwards
 */
public record Assignment(List<Integer> owners, List<Long> loads) {
  /** Copies the lists. */
  public Assignment {
    owners = List.copyOf(owners);
    loads = List.copyOf(loads);
  }

  /** The largest device load. */
  public long maxLoad() {
    return loads.stream().mapToLong(Long::longValue).max().orElse(0);
  }

  /** The sum of all device loads. */
  public long totalLoad() {
    return loads.stream().mapToLong(Long::longValue).sum();
  }
}
