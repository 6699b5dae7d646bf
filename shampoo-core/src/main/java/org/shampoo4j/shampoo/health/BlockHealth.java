package org.shampoo4j.shampoo.health;

import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failure counts of one Shampoo block (its L and R preconditioners). Mutable, owned by the
 * optimizer, which brackets every statistic (T1) or root (T2) event of the block: {@link #attempt}
 * for each of its updates, then {@link #finishEvent}. An event fails if any of its updates was
 * rejected. Statistic and root events keep separate runs of failures, each reset by a successful
 * event of its own kind, so that statistics that still update do not hide roots that never do.
 */
public final class BlockHealth {
  private static final Logger LOG = LoggerFactory.getLogger(BlockHealth.class);

  private final String parameterId;
  private final int block;
  private long rejectedStatistics;
  private long rejectedRoots;
  private int consecutiveStatisticFailures;
  private int consecutiveRootFailures;
  private boolean failedThisEvent;
  private RejectedUpdateException lastFailure;

  /**
   * @param parameterId the parameter's state key
   * @param block the block index
   */
  public BlockHealth(String parameterId, int block) {
    this.parameterId = parameterId;
    this.block = block;
  }

  /**
   * Runs one preconditioner update; a rejection (previous state kept) is counted and logged as
   * one warning instead of propagating.
   *
   * @return whether the update was applied
   */
  public boolean attempt(Runnable update) {
    try {
      update.run();
      return true;
    } catch (RejectedUpdateException e) {
      if (e.kind() == RejectedUpdateException.Kind.STATISTIC) {
        rejectedStatistics++;
      } else {
        rejectedRoots++;
      }
      failedThisEvent = true;
      lastFailure = e;
      LOG.warn("Shampoo: {}", e.getMessage());
      return false;
    }
  }

  /**
   * Ends a statistic or root event of this block.
   *
   * @param kind which event ended
   * @param maxConsecutiveFailures failed events of that kind in a row that stop training
   * @throws PreconditionerFailureException when this event made its run of failures that long
   */
  public void finishEvent(RejectedUpdateException.Kind kind, int maxConsecutiveFailures) {
    int run;
    if (kind == RejectedUpdateException.Kind.STATISTIC) {
      run = consecutiveStatisticFailures = failedThisEvent ? consecutiveStatisticFailures + 1 : 0;
    } else {
      run = consecutiveRootFailures = failedThisEvent ? consecutiveRootFailures + 1 : 0;
    }
    failedThisEvent = false;
    if (run >= maxConsecutiveFailures) {
      throw new PreconditionerFailureException(parameterId, block, run, lastFailure);
    }
  }

  /** The longer of the current runs of failed statistic and root events. */
  public int consecutiveFailures() {
    return Math.max(consecutiveStatisticFailures, consecutiveRootFailures);
  }

  /** Rejected statistic updates of this block (L and R), over its life. */
  public long rejectedStatistics() {
    return rejectedStatistics;
  }

  /** Rejected inverse-root refreshes of this block (L and R), over its life. */
  public long rejectedRoots() {
    return rejectedRoots;
  }

  /**
   * Restores counts saved with the optimizer state (a checkpoint), so that a resumed run reports
   * and limits failures as the original would have.
   */
  public void restore(long rejectedStatistics, long rejectedRoots,
      int consecutiveStatisticFailures, int consecutiveRootFailures) {
    if (rejectedStatistics < 0 || rejectedRoots < 0 || consecutiveStatisticFailures < 0
        || consecutiveRootFailures < 0) {
      throw new IllegalArgumentException("failure counts must be non-negative, got "
          + rejectedStatistics + ", " + rejectedRoots + ", " + consecutiveStatisticFailures
          + ", " + consecutiveRootFailures);
    }
    this.rejectedStatistics = rejectedStatistics;
    this.rejectedRoots = rejectedRoots;
    this.consecutiveStatisticFailures = consecutiveStatisticFailures;
    this.consecutiveRootFailures = consecutiveRootFailures;
  }

  /** The current run of failed statistic events (for checkpoints). */
  public int consecutiveStatisticFailures() {
    return consecutiveStatisticFailures;
  }

  /** The current run of failed root events (for checkpoints). */
  public int consecutiveRootFailures() {
    return consecutiveRootFailures;
  }

  /** An immutable snapshot. */
  public HealthReport.Block snapshot() {
    return new HealthReport.Block(parameterId, block, rejectedStatistics, rejectedRoots,
        consecutiveFailures(), lastFailure == null ? null : lastFailure.getMessage());
  }
}
