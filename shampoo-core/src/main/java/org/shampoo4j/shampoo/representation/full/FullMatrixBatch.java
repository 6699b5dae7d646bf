package org.shampoo4j.shampoo.representation.full;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.BatchMembers;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.BatchedStatistics;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;

/**
 * The EMA {@code S ← β·S + (1−β)·gram} of many fp32 statistics in one call into the bank module,
 * with one host read of all finiteness flags; bit for bit {@link FullMatrixPreconditioner#accumulate}
 * per member (same operators in the same order). A member whose new statistic is not finite
 * keeps its previous one, as there.
 *
 * @param kernels the bank kernels of the members' device
 * @param beta the EMA factor
 */
record FullMatrixBatch(BankKernels kernels, float beta) implements BatchedStatistics {

  @Override
  public List<RejectedUpdateException> accumulate(
      List<Preconditioner> members, List<NDArray> grams, GateCheck check) {
    BatchMembers.requireOneGramEach(members, grams);
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    if (members.isEmpty()) {
      return out;
    }
    List<NDArray> statistics = new ArrayList<>(members.size());
    List<FullMatrixPreconditioner> batch = BatchMembers.of(members,
        FullMatrixPreconditioner.class, this, FullMatrixPreconditioner::batchedStatistics,
        (p, i) -> {
          p.context().requireGram(grams.get(i), p.order());
          statistics.add(p.statisticForBatch());
        });
    BankKernels.Updated updated = kernels.accumulateFull(statistics, grams, beta, check);
    if (check.isRejected()) {
      // The gate was bad: nothing installed.
      return BatchMembers.noneInstalled(members.size());
    }
    return BatchMembers.installOrReject(batch, updated.arrays(), 1, updated.finite(),
        (p, parts) -> p.install(parts.get(0)),
        p -> new RejectedUpdateException(Kind.STATISTIC, p.context().label(),
            "the new statistic holds NaN or an infinity", null));
  }
}
