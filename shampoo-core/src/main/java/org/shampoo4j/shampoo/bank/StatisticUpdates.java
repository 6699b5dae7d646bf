package org.shampoo4j.shampoo.bank;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    if (members.size() != grams.size()) {
      throw new IllegalArgumentException("need one gram per member, got " + members.size()
          + " members and " + grams.size() + " grams");
    }
    RejectedUpdateException[] out = new RejectedUpdateException[members.size()];
    List<Integer> alone = new ArrayList<>();
    Map<BatchedStatistics, List<Integer>> batches = new LinkedHashMap<>();
    for (int i = 0; i < members.size(); i++) {
      Optional<BatchedStatistics> batch = members.get(i).batchedStatistics();
      if (batch.isPresent()) {
        batches.computeIfAbsent(batch.get(), b -> new ArrayList<>()).add(i);
      } else {
        alone.add(i);
      }
    }
    for (Map.Entry<BatchedStatistics, List<Integer>> e : batches.entrySet()) {
      List<Integer> index = e.getValue();
      List<Preconditioner> batchMembers = new ArrayList<>(index.size());
      List<NDArray> batchGrams = new ArrayList<>(index.size());
      for (int i : index) {
        batchMembers.add(members.get(i));
        batchGrams.add(grams.get(i));
      }
      List<RejectedUpdateException> result =
          e.getKey().accumulate(batchMembers, batchGrams, check);
      if (check.isRejected()) {
        return Arrays.asList(new RejectedUpdateException[members.size()]);
      }
      for (int j = 0; j < index.size(); j++) {
        out[index.get(j)] = result.get(j);
      }
    }
    // Members apart from any batch go last: by now a batch has read the check, unless there was
    // none, and then it is read here (one read) before anything is changed.
    if (!alone.isEmpty() && !check.passes()) {
      return Arrays.asList(new RejectedUpdateException[members.size()]);
    }
    for (int i : alone) {
      try {
        members.get(i).accumulate(grams.get(i));
      } catch (RejectedUpdateException e) {
        out[i] = e;
      }
    }
    return Arrays.asList(out);
  }
}
