package org.shampoo4j.shampoo.bank;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;

/**
 * Runs one kind of update over many members: those sharing a batch together (batches in order of
 * their first member), then the members without a batch one at a time. Shared by {@link
 * StatisticUpdates} and {@link RootUpdates}, which differ only in what a batch and a lone member
 * do.
 */
final class BatchGrouping {
  private BatchGrouping() {}

  /** One batch's update of the members at the given indices, with per member its outcome. */
  @FunctionalInterface
  interface BatchCall<B> {
    List<RejectedUpdateException> run(B batch, List<Integer> index, GateCheck check);
  }

  /**
   * Updates every member under a step's gate check: the first batch reads the check together with
   * its own flags; members alone go after the batches and read the check first only if no batch
   * did. Once the check is known rejected, no further member is changed and the outcomes are all
   * {@code null}.
   *
   * @param size the number of members
   * @param batchOf member index to its batch, if it has one
   * @param batchCall updates the members of one batch
   * @param aloneCall updates one member alone; a {@link RejectedUpdateException} is its outcome
   * @return per member, {@code null} if its update was stored, else the rejection
   */
  static <B> List<RejectedUpdateException> run(int size, IntFunction<Optional<B>> batchOf,
      BatchCall<B> batchCall, IntConsumer aloneCall, GateCheck check) {
    RejectedUpdateException[] out = new RejectedUpdateException[size];
    List<Integer> alone = new ArrayList<>();
    Map<B, List<Integer>> batches = new LinkedHashMap<>();
    for (int i = 0; i < size; i++) {
      Optional<B> batch = batchOf.apply(i);
      if (batch.isPresent()) {
        batches.computeIfAbsent(batch.get(), b -> new ArrayList<>()).add(i);
      } else {
        alone.add(i);
      }
    }
    for (Map.Entry<B, List<Integer>> e : batches.entrySet()) {
      List<Integer> index = e.getValue();
      List<RejectedUpdateException> result = batchCall.run(e.getKey(), index, check);
      if (check.isRejected()) {
        return Arrays.asList(new RejectedUpdateException[size]);
      }
      for (int j = 0; j < index.size(); j++) {
        out[index.get(j)] = result.get(j);
      }
    }
    // Members apart from any batch go last: by now a batch has read the check, unless there was
    // none, and then it is read here (one read) before anything is changed.
    if (!alone.isEmpty() && !check.passes()) {
      return Arrays.asList(new RejectedUpdateException[size]);
    }
    for (int i : alone) {
      try {
        aloneCall.accept(i);
      } catch (RejectedUpdateException e) {
        out[i] = e;
      }
    }
    return Arrays.asList(out);
  }

  /** The elements of {@code list} at {@code index}, in that order. */
  static <T> List<T> select(List<T> list, List<Integer> index) {
    List<T> out = new ArrayList<>(index.size());
    for (int i : index) {
      out.add(list.get(i));
    }
    return out;
  }
}
