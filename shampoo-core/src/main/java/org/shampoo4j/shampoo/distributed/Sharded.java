package org.shampoo4j.shampoo.distributed;

import java.util.Objects;

/**
 * Sharded Shampoo for DJL's multi-device training. Immutable settings; the optimizer keeps the
 * mutable {@link OwnerLedger} it makes with {@link #newLedger()}.
 *
 * <p>Ownership: each {@link WorkUnit} (a Shampoo block of a parameter, or a whole parameter that
 * is not preconditioned) gets one owner replica from the {@link BlockAssignment} (default: largest
 * {@link BlockCost} first, to the least-loaded replica). The unit's statistics, inverse roots and
 * base-optimizer state live only on the owner's device.
 *
 * <p>One step per training step: DJL calls {@code update} once per replica, device 0 (the first
 * of {@code optDevices}) first. The first call of a step, which holds the summed gradient,
 * computes the step: each block's gradient goes to its owner, which updates the statistics at T1,
 * the roots at T2, computes the grafted direction and applies the base optimizer to its slice of
 * the weight; the slices come back and form the new weight, which is written into replica 0. The
 * other replicas' calls only copy that new weight in ({@code toDevice}), so every replica holds
 * bit-identical weights, each parameter advances one step per training step and T1/T2 fire once.
 */
public final class Sharded implements Distribution {
  private final DeviceGroup group;
  private final BlockCost cost;
  private final BlockAssignment assignment;
  private final GradientReduction reduction;

  private Sharded(Builder b) {
    this.group = b.group;
    this.cost = b.cost;
    this.assignment = b.assignment;
    this.reduction = b.reduction;
  }

  /**
   * A builder for the trainer's devices ({@code DeviceGroup.of(trainer devices)}); defaults: cost
   * {@link BlockCost#STATE_SIZE}, greedy assignment, {@link GradientReduction#MEAN}.
   */
  public static Builder builder(DeviceGroup group) {
    return new Builder(group);
  }

  /** The replicas, in DJL's order. */
  public DeviceGroup group() {
    return group;
  }

  /** The balanced cost. */
  public BlockCost cost() {
    return cost;
  }

  /** The assignment rule. */
  public BlockAssignment assignment() {
    return assignment;
  }

  @Override
  public GradientReduction reduction() {
    return reduction;
  }

  @Override
  public int replicas() {
    return group.size();
  }

  @Override
  public String name() {
    return "sharded(" + group.size() + ")";
  }

  /** A fresh ledger of owners and loads for one optimizer. */
  public OwnerLedger newLedger() {
    return new OwnerLedger(group.size(), assignment);
  }

  @Override
  public String toString() {
    return name() + " over " + group + ", cost " + cost + ", " + reduction;
  }

  /** Builder of {@link Sharded}. */
  public static final class Builder {
    private final DeviceGroup group;
    private BlockCost cost = BlockCost.STATE_SIZE;
    private BlockAssignment assignment = BlockAssignment.greedy();
    private GradientReduction reduction = GradientReduction.MEAN;

    private Builder(DeviceGroup group) {
      this.group = Objects.requireNonNull(group, "group");
    }

    /** The cost balanced across devices; default {@link BlockCost#STATE_SIZE}. */
    public Builder cost(BlockCost cost) {
      this.cost = Objects.requireNonNull(cost, "cost");
      return this;
    }

    /** The assignment rule; default {@link BlockAssignment#greedy()}. */
    public Builder assignment(BlockAssignment assignment) {
      this.assignment = Objects.requireNonNull(assignment, "assignment");
      return this;
    }

    /** What to do with DJL's summed gradient; default {@link GradientReduction#MEAN}. */
    public Builder reduction(GradientReduction reduction) {
      this.reduction = Objects.requireNonNull(reduction, "reduction");
      return this;
    }

    /** The settings. */
    public Sharded build() {
      return new Sharded(this);
    }
  }
}
