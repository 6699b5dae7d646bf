package org.shampoo4j.shampoo.representation.naive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.bank.BankKernels;
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
    if (members.size() != grams.size()) {
      throw new IllegalArgumentException("need one gram per member, got " + members.size()
          + " members and " + grams.size() + " grams");
    }
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    if (members.isEmpty()) {
      return out;
    }
    List<PackedNDArray> statistics = new ArrayList<>(members.size());
    for (int i = 0; i < members.size(); i++) {
      if (!(members.get(i) instanceof NaiveQuantizedPreconditioner p)
          || !equals(p.batchedStatistics().orElse(null))) {
        throw new IllegalArgumentException("member " + i + " is not of this batch");
      }
      p.context().requireGram(grams.get(i), p.order());
      statistics.add(p.statisticForBatch());
    }
    NDManager manager = statistics.get(0).getManager();
    BankKernels.Updated updated;
    try (NDManager tables = manager.newSubManager()) {
      NDArray values = tables.create(spec.codebook().values());
      NDArray thresholds = tables.create(spec.codebook().thresholds());
      updated = kernels.accumulateQuantized(statistics, values, thresholds, grams, beta, check);
    }
    if (check.isRejected()) {
      // The gate was bad: nothing installed.
      return Arrays.asList(new RejectedUpdateException[members.size()]);
    }
    boolean[] finite = updated.finite();
    for (int i = 0; i < members.size(); i++) {
      NaiveQuantizedPreconditioner p = (NaiveQuantizedPreconditioner) members.get(i);
      List<NDArray> parts = updated.arrays().subList(3 * i, 3 * i + 3);
      if (finite[i]) {
        PackedNDArray old = p.statisticForBatch();
        p.install(old.withBuffers(parts.get(0), parts.get(1), parts.get(2)));
        out.add(null);
      } else {
        parts.forEach(NDArray::close);
        out.add(new RejectedUpdateException(Kind.STATISTIC, p.context().label(),
            "the new statistic holds NaN or an infinity", null));
      }
    }
    return out;
  }
}
