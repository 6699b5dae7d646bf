package org.shampoo4j.shampoo.representation.eigen;

import ai.djl.engine.EngineException;
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
 * {@link EigenBjorckPreconditioner#accumulate} of many members in one call into the bank module
 * (decode, Björck, {@code A}, QR, eigenvalues, encode, operator for operator), with one host read
 * of all finiteness flags: bit for bit each member's own update. A member whose new state is not
 * finite keeps its previous one. If a QR fails, nothing was changed and the members are updated
 * one by one, so that only the failing ones are rejected, as on the per-member path.
 *
 * @param kernels the bank kernels of the members' device
 * @param spec the members' quantization spec
 * @param beta the EMA factor
 * @param bjorckSteps Björck steps on the decoded eigenvectors
 */
record EigenBatch(BankKernels kernels, QuantizationSpec spec, float beta, int bjorckSteps)
    implements BatchedStatistics {

  @Override
  public List<RejectedUpdateException> accumulate(
      List<Preconditioner> members, List<NDArray> grams, GateCheck check) {
    BatchMembers.requireOneGramEach(members, grams);
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    if (members.isEmpty()) {
      return out;
    }
    List<PackedNDArray> vectors = new ArrayList<>(members.size());
    List<NDArray> eigenvalues = new ArrayList<>(members.size());
    List<EigenBjorckPreconditioner> batch = BatchMembers.of(members,
        EigenBjorckPreconditioner.class, this, EigenBjorckPreconditioner::batchedStatistics,
        (p, i) -> {
          p.context().requireGram(grams.get(i), p.order());
          vectors.add(p.eigenvectorsForBatch());
          eigenvalues.add(p.eigenvaluesForBatch());
        });
    NDManager manager = vectors.get(0).getManager();
    BankKernels.Updated updated;
    try {
      NDArray values = kernels.constant(spec.codebook().values(), manager.getDevice());
      NDArray thresholds = kernels.constant(spec.codebook().thresholds(),
          manager.getDevice());
      updated = kernels.accumulateEigen(
          vectors, eigenvalues, values, thresholds, bjorckSteps, grams, beta, check);
    } catch (EngineException e) {
      // A QR failed somewhere in the batch: the per-member path finds which.
      if (!check.passes()) {
        return BatchMembers.noneInstalled(members.size());
      }
      for (int i = 0; i < members.size(); i++) {
        try {
          members.get(i).accumulate(grams.get(i));
          out.add(null);
        } catch (RejectedUpdateException rejected) {
          out.add(rejected);
        }
      }
      return out;
    }
    if (check.isRejected()) {
      // The gate was bad: nothing installed.
      return BatchMembers.noneInstalled(members.size());
    }
    return BatchMembers.installOrReject(batch, updated.arrays(), 4, updated.finite(),
        (p, parts) -> p.install(p.eigenvectorsForBatch()
            .withBuffers(parts.get(0), parts.get(1), parts.get(2)), parts.get(3)),
        p -> new RejectedUpdateException(Kind.STATISTIC, p.context().label(),
            "the new eigenvectors or eigenvalues holds NaN or an infinity", null));
  }
}
