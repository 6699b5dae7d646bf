package org.shampoo4j.shampoo.distributed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Longest-processing-time-first list scheduling, as Meta's distributed Shampoo assigns blocks to
 * ranks: units in order of decreasing cost (ties: earlier unit first), each to the device with the
 * smallest load so far (ties: lowest device index). Deterministic, {@code O(u log u + u·n)}.
 *
 * <p>Balance (Graham's bound, for any order of the units and starting from equal loads): the
 * largest load is at most {@code total/n + (1 − 1/n)·maxCost}; taking the largest units first
 * also keeps it within {@code 4/3} of the best possible assignment.
 */
public final class GreedyAssignment implements BlockAssignment {
  /** The greedy assignment (stateless). */
  public GreedyAssignment() {}

  @Override
  public Assignment assign(List<WorkUnit> units, List<Long> loads) {
    if (loads.isEmpty()) {
      throw new IllegalArgumentException("at least one device is needed");
    }
    long[] load = new long[loads.size()];
    for (int d = 0; d < load.length; d++) {
      load[d] = loads.get(d);
      if (load[d] < 0) {
        throw new IllegalArgumentException("device " + d + " has a negative load " + load[d]);
      }
    }
    int[] order = IntStream.range(0, units.size()).boxed()
        .sorted(Comparator.comparingLong((Integer i) -> units.get(i).cost()).reversed()
            .thenComparingInt(i -> i))
        .mapToInt(Integer::intValue).toArray();
    Integer[] owners = new Integer[units.size()];
    for (int i : order) {
      int best = 0;
      for (int d = 1; d < load.length; d++) {
        if (load[d] < load[best]) {
          best = d;
        }
      }
      owners[i] = best;
      load[best] = Math.addExact(load[best], units.get(i).cost());
    }
    List<Long> after = new ArrayList<>(load.length);
    Arrays.stream(load).forEach(after::add);
    return new Assignment(Arrays.asList(owners), after);
  }
}
