package org.shampoo4j.shampoo.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Laws of the greedy (largest first, least-loaded) block assignment. */
class GreedyAssignmentTest {
  private final BlockAssignment greedy = BlockAssignment.greedy();

  @Property(tries = 200, seed = "16")
  void everyUnitHasExactlyOneOwnerAndLoadsAddUp(
      @ForAll @Size(max = 40) List<@LongRange(min = 0, max = 1_000_000) Long> costs,
      @ForAll @IntRange(min = 1, max = 8) int devices) {
    List<WorkUnit> units = units(costs);
    Assignment a = greedy.assign(units, zeros(devices));
    assertEquals(units.size(), a.owners().size());
    long[] recomputed = new long[devices];
    for (int i = 0; i < units.size(); i++) {
      int owner = a.owners().get(i);
      assertTrue(owner >= 0 && owner < devices, "owner in range");
      recomputed[owner] += units.get(i).cost();
    }
    for (int d = 0; d < devices; d++) {
      assertEquals(recomputed[d], a.loads().get(d), "load of device " + d);
    }
    assertEquals(costs.stream().mapToLong(Long::longValue).sum(), a.totalLoad());
  }

  /** Graham's list-scheduling bound: max load ≤ total/n + (1 − 1/n)·largest cost. */
  @Property(tries = 200, seed = "17")
  void greedyBalanceBound(
      @ForAll @Size(min = 1, max = 60) List<@LongRange(min = 0, max = 1_000_000) Long> costs,
      @ForAll @IntRange(min = 1, max = 8) int devices) {
    Assignment a = greedy.assign(units(costs), zeros(devices));
    double total = costs.stream().mapToLong(Long::longValue).sum();
    long largest = Collections.max(costs);
    double bound = total / devices + (1.0 - 1.0 / devices) * largest;
    assertTrue(a.maxLoad() <= bound + 1e-9, a.maxLoad() + " > " + bound);
    // And never worse than the obvious lower bound allows by more than the largest unit.
    assertTrue(a.maxLoad() >= Math.max(total / devices, largest) - 1e-9);
  }

  @Property(tries = 100, seed = "18")
  void deterministic(
      @ForAll @Size(max = 30) List<@LongRange(min = 0, max = 50) Long> costs,
      @ForAll @IntRange(min = 1, max = 5) int devices) {
    assertEquals(greedy.assign(units(costs), zeros(devices)),
        greedy.assign(units(costs), zeros(devices)));
  }

  @Test
  void largestFirstToTheLeastLoadedWithLowIndexTies() {
    // Costs 5, 3, 3, 2 on two devices: 5 → d0, 3 → d1, 3 → d1 (3 < 5), 2 → d0 (5 < 6).
    Assignment a = greedy.assign(units(List.of(3L, 5L, 2L, 3L)), zeros(2));
    assertEquals(List.of(1, 0, 0, 1), a.owners());
    assertEquals(List.of(7L, 6L), a.loads());
    // Equal costs alternate, earlier units first, lower device index on ties.
    assertEquals(List.of(0, 1, 0, 1), greedy.assign(units(List.of(1L, 1L, 1L, 1L)), zeros(2))
        .owners());
  }

  @Test
  void continuesFromExistingLoads() {
    Assignment a = greedy.assign(units(List.of(4L)), List.of(10L, 3L, 3L));
    assertEquals(List.of(1), a.owners());
    assertEquals(List.of(10L, 7L, 3L), a.loads());
  }

  @Test
  void rejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> greedy.assign(units(List.of(1L)),
        List.of()));
    assertThrows(IllegalArgumentException.class, () -> greedy.assign(units(List.of(1L)),
        List.of(-1L)));
    assertThrows(IllegalArgumentException.class, () -> new WorkUnit("w", 0, -1));
    assertThrows(IllegalArgumentException.class, () -> BlockCost.STATE_SIZE.ofBlock(0, 3));
  }

  @Test
  void costs() {
    assertEquals(4 + 9 + 6, BlockCost.STATE_SIZE.ofBlock(2, 3));
    assertEquals(8 + 27 + 6 * 5, BlockCost.ROOT_WORK.ofBlock(2, 3));
    assertEquals(7, BlockCost.ROOT_WORK.ofUnpreconditioned(7));
    // 1200-order factors: no overflow.
    assertEquals(2L * 1200 * 1200 * 1200 + 1200L * 1200 * 2400,
        BlockCost.ROOT_WORK.ofBlock(1200, 1200));
  }

  @Test
  void ledgerPlansLargestFirstAcrossParametersAndKeepsOwners() {
    Sharded sharded = Sharded.builder(DeviceGroup.simulated(2, ai.djl.Device.cpu())).build();
    OwnerLedger ledger = sharded.newLedger();
    List<WorkUnit> units = List.of(new WorkUnit("a", 0, 1), new WorkUnit("a", 1, 1),
        new WorkUnit("b", 0, 10));
    ledger.plan(units);
    assertEquals(List.of(1, 1), ledger.owners("a", units.subList(0, 2)));
    assertEquals(List.of(0), ledger.owners("b", units.subList(2, 3)));
    assertEquals(List.of(10L, 2L), ledger.loads());
    // An unplanned parameter is assigned on first use against the loads so far.
    assertEquals(List.of(1), ledger.owners("c", List.of(new WorkUnit("c", 0, 3))));
    assertThrows(IllegalArgumentException.class,
        () -> ledger.owners("b", List.of(new WorkUnit("b", 0, 5), new WorkUnit("b", 1, 5))));
  }

  private static List<WorkUnit> units(List<Long> costs) {
    List<WorkUnit> out = new ArrayList<>();
    for (int i = 0; i < costs.size(); i++) {
      out.add(new WorkUnit("p" + i, 0, costs.get(i)));
    }
    return out;
  }

  private static List<Long> zeros(int n) {
    return Collections.nCopies(n, 0L);
  }
}
