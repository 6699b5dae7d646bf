package org.shampoo4j.shampoo.bank;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.BatchedStatistics;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;

/**
 * The statistic updates of many preconditioners (all blocks of a parameter, both sides), grouped
 * so that members sharing a {@link BatchedStatistics} are updated in one batch and the others one
 * at a time through {@link Preconditioner#accumulate}. Every member ends as its own {@code
 * accumulate} would leave it.
 */
public final class StatisticUpdates {
  private StatisticUpdates() {}

  /**
   * Folds {@code grams.get(i)} into {@code members.get(i)} for every i.
   *
   * @return per member, {@code null} if its new statistic was stored, else the rejection (its
   *     previous state was kept)
   * @throws IllegalArgumentException if the lists differ in length
   */
  public static List<RejectedUpdateException> accumulate(
      List<Preconditioner> members, List<NDArray> grams) {
    return accumulate(members, grams, GateCheck.open());
  }

  /**
   * {@link #accumulate} under a step's gate check: the first batch reads the check together with
   * its own flags (one read); members updated alone go after the batches, and read the check first
   * only if no batch did. Once the check is known rejected, no member is changed and the
   * returned outcomes are all {@code null} (the caller consults the check).
   */
  public static List<RejectedUpdateException> accumulate(
      List<Preconditioner> members, List<NDArray> grams, GateCheck check) {
    BatchMembers.requireOneGramEach(members, grams);
    return BatchGrouping.run(members.size(), i -> members.get(i).batchedStatistics(),
        (batch, index, c) -> batch.accumulate(BatchGrouping.select(members, index),
            BatchGrouping.select(grams, index), c),
        i -> members.get(i).accumulate(grams.get(i)), check);
  }
}
