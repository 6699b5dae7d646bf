package org.shampoo4j.shampoo.distributed;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The owners chosen so far and every replica's load, for one optimizer. Units can be planned for
 * the whole model at once ({@link #plan}, largest first across all parameters) or assigned per
 * parameter when it is first updated ({@link #owners}, which then balances online against the
 * loads so far). Thread-safe.
 */
public final class OwnerLedger {
  private final BlockAssignment assignment;
  private final List<Long> loads;
  private final Map<String, List<Integer>> owners = new HashMap<>();

  OwnerLedger(int replicas, BlockAssignment assignment) {
    this.assignment = assignment;
    this.loads = new ArrayList<>(java.util.Collections.nCopies(replicas, 0L));
  }

  /**
   * Plans the owners of the units of parameters not planned yet, all at once.
   *
   * @param units the units, grouped by parameter, each parameter's units in index order
   */
  public synchronized void plan(List<WorkUnit> units) {
    List<WorkUnit> fresh = units.stream().filter(u -> !owners.containsKey(u.parameterId())).toList();
    record(fresh, assignment.assign(fresh, loads));
  }

  /**
   * The owner replica of each unit of a parameter, assigning them now if the parameter was not
   * planned.
   *
   * @param parameterId the parameter
   * @param units its units in index order
   * @throws IllegalArgumentException if a planned parameter comes back with another unit count
   */
  public synchronized List<Integer> owners(String parameterId, List<WorkUnit> units) {
    List<Integer> known = owners.get(parameterId);
    if (known == null) {
      record(units, assignment.assign(units, loads));
      known = owners.get(parameterId);
    }
    if (known.size() != units.size()) {
      throw new IllegalArgumentException("parameter '" + parameterId + "' was planned with "
          + known.size() + " units but has " + units.size());
    }
    return known;
  }

  /** Every replica's load so far. */
  public synchronized List<Long> loads() {
    return List.copyOf(loads);
  }

  private void record(List<WorkUnit> units, Assignment a) {
    if (a.owners().size() != units.size() || a.loads().size() != loads.size()) {
      throw new IllegalStateException("the block assignment returned " + a.owners().size()
          + " owners for " + units.size() + " units and " + a.loads().size() + " loads for "
          + loads.size() + " devices");
    }
    Map<String, List<Integer>> byParameter = new HashMap<>();
    for (int i = 0; i < units.size(); i++) {
      int owner = a.owners().get(i);
      if (owner < 0 || owner >= loads.size()) {
        throw new IllegalStateException("the block assignment chose device " + owner + " of "
            + loads.size());
      }
      WorkUnit u = units.get(i);
      List<Integer> list = byParameter.computeIfAbsent(u.parameterId(), k -> new ArrayList<>());
      if (u.index() != list.size()) {
        throw new IllegalArgumentException("units of '" + u.parameterId()
            + "' must come in index order 0, 1, ...; got " + u.index() + " at " + list.size());
      }
      list.add(owner);
    }
    byParameter.forEach((k, v) -> owners.put(k, List.copyOf(v)));
    for (int d = 0; d < loads.size(); d++) {
      loads.set(d, a.loads().get(d));
    }
  }
}
