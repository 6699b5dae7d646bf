package org.shampoo4j.shampoo.representation.naive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.BatchMembers;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.BatchedStatistics;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;

/**
 * {@code S ← Q(β·D(S̄) + (1−β)·gram)} of many quantized statistics in one call into the bank
 * module, with one host read of all finiteness flags; bit for bit {@link
 * NaiveQuantizedPreconditioner#accumulate} per member (the module runs quant-api's decode and
 * encode and the same EMA). A member whose new statistic is not finite keeps its previous one.
 *
 * @param kernels the bank kernels of the members' device
 * @param spec the members' quantization spec
 * @param beta the EMA factor
 */
record NaiveBatch(BankKernels kernels, QuantizationSpec spec, float beta)
    implements BatchedStatistics {

  @Override
  public List<RejectedUpdateException> accumulate(
      List<Preconditioner> members, List<NDArray> grams, GateCheck check) {
    BatchMembers.requireOneGramEach(members, grams);
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    if (members.isEmpty()) {
      return out;
    }
    List<PackedNDArray> statistics = new ArrayList<>(members.size());
    List<NaiveQuantizedPreconditioner> batch = BatchMembers.of(members,
        NaiveQuantizedPreconditioner.class, this, NaiveQuantizedPreconditioner::batchedStatistics,
        (p, i) -> {
          p.context().requireGram(grams.get(i), p.order());
          statistics.add(p.statisticForBatch());
        });
    NDManager manager = statistics.get(0).getManager();
    BankKernels.Updated updated;
    NDArray values = kernels.constant(spec.codebook().values(), manager.getDevice());
    NDArray thresholds = kernels.constant(spec.codebook().thresholds(), manager.getDevice());
    updated = kernels.accumulateQuantized(statistics, values, thresholds, grams, beta, check);
    if (check.isRejected()) {
      // The gate was bad: nothing installed.
      return BatchMembers.noneInstalled(members.size());
    }
    return BatchMembers.installOrReject(batch, updated.arrays(), 3, updated.finite(),
        (p, parts) -> p.install(
            p.statisticForBatch().withBuffers(parts.get(0), parts.get(1), parts.get(2))),
        p -> new RejectedUpdateException(Kind.STATISTIC, p.context().label(),
            "the new statistic holds NaN or an infinity", null));
  }
}
