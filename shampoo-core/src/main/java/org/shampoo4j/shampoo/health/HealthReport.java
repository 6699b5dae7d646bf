package org.shampoo4j.shampoo.health;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What went wrong numerically so far, per preconditioned block, plus the gradient updates skipped
 * under {@code NonFinitePolicy.SKIP}. Immutable; from {@code ShampooOptimizer.health()}.
 *
 * @param blocks one entry per block of every preconditioned parameter, in first-update order
 * @param skippedUpdates parameter updates skipped for non-finite or overflowing gradients
 */
public record HealthReport(List<Block> blocks, long skippedUpdates) {

  /** Copies the list. */
  public HealthReport {
    blocks = List.copyOf(blocks);
  }

  /**
   * One block's counts.
   *
   * @param parameterId the parameter's state key
   * @param block the block index within the parameter
   * @param rejectedStatistics statistic updates rejected (previous statistic kept), L and R
   * @param rejectedRoots inverse-root refreshes rejected (previous root kept), L and R
   * @param consecutiveFailures failed update events in a row, now
   * @param lastFailure the last rejection's message, or null if none
   */
  public record Block(String parameterId, int block, long rejectedStatistics, long rejectedRoots,
      int consecutiveFailures, String lastFailure) {
    /** Checks the fields. */
    public Block {
      Objects.requireNonNull(parameterId, "parameterId");
    }

    /** Rejected statistic updates and root refreshes together. */
    public long rejected() {
      return rejectedStatistics + rejectedRoots;
    }
  }

  /** Rejected statistic updates over all blocks. */
  public long rejectedStatistics() {
    return blocks.stream().mapToLong(Block::rejectedStatistics).sum();
  }

  /** Rejected inverse-root refreshes over all blocks. */
  public long rejectedRoots() {
    return blocks.stream().mapToLong(Block::rejectedRoots).sum();
  }

  /** Whether nothing was rejected or skipped. */
  public boolean healthy() {
    return rejectedStatistics() == 0 && rejectedRoots() == 0 && skippedUpdates == 0;
  }

  /** One line of totals, then one line per block that had a failure. */
  public String summary() {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "Shampoo health: %d blocks, %d rejected statistic updates, %d rejected root refreshes, "
            + "%d skipped gradient updates%n",
        blocks.size(), rejectedStatistics(), rejectedRoots(), skippedUpdates));
    for (Block b : blocks) {
      if (b.rejected() > 0) {
        sb.append(String.format(Locale.ROOT, "  %s block %d: %d statistic, %d root, %d in a row; "
                + "last: %s%n", b.parameterId(), b.block(), b.rejectedStatistics(),
            b.rejectedRoots(), b.consecutiveFailures(), b.lastFailure()));
      }
    }
    return sb.toString();
  }
}
