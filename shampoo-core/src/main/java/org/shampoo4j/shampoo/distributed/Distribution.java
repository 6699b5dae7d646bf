package org.shampoo4j.shampoo.distributed;

/**
 * How {@code ShampooOptimizer} spreads its state and work over the devices of DJL's multi-device
 * training, a concept beside the preconditioner representation (which says how one block's state
 * is stored). docs/algorithms.md §9: DJL sums the replicas' gradients into replica 0's and then calls {@code
 * Optimizer.update} once per replica, each time with a copy of the sum.
 *
 * <ul>
 *   <li>{@link Replicated} (the default): every replica keeps and updates its own full state, as
 *       DJL's own optimizers do. N devices cost N times the optimizer memory and repeat every root
 *       computation; the replicas stay equal because they compute the same thing.
 *   <li>{@link Sharded}: every block has one owner device that keeps its state and computes its
 *       update once per step; the updated weight is copied to every replica.
 * </ul>
 */
public sealed interface Distribution permits Replicated, Sharded {
  /** A short name for reports, for example {@code replicated} or {@code sharded(2)}. */
  String name();

  /** What the optimizer does with DJL's summed gradient. */
  GradientReduction reduction();

  /** The number of replicas whose gradients DJL sums (1 when not known). */
  int replicas();

  /** DJL's behaviour: replicated state, the summed gradient used as it is. */
  static Replicated replicated() {
    return new Replicated(1, GradientReduction.SUM);
  }
}
