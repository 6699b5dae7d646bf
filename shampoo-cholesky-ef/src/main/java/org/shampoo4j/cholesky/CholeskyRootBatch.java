package org.shampoo4j.cholesky;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.BatchMembers;
import org.shampoo4j.shampoo.bank.EighRootSpec;
import org.shampoo4j.shampoo.bank.RootUpdates;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.BatchedRoots;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;

/**
 * {@link CholeskyEfPreconditioner#refreshInverseRoot} (root stored 4-bit off-diagonal, eigh root
 * method) of many members: each member's statistic {@code C̃·C̃ᵀ} is rebuilt from its factor as
 * before, then the ridged eigh roots of all members and their quantization run in one call into
 * the bank module with one host read of all flags, operator for operator the per-member path (bit
 * for bit its roots). The factors and the error-feedback state are only read. A member whose root
 * is not finite keeps its previous root and counts a rejected refresh; an eigensolver failure
 * refreshes every member alone; non-finite float32 eigenpairs refresh that member alone (its own
 * path retries in float64).
 *
 * @param kernels the bank kernels of the members' device
 * @param quantization the members' quantization spec
 * @param spec the root computation of the members' context
 */
record CholeskyRootBatch(BankKernels kernels, QuantizationSpec quantization, EighRootSpec spec)
    implements BatchedRoots {

  @Override
  public List<RejectedUpdateException> refresh(List<Preconditioner> members, GateCheck check) {
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    if (members.isEmpty()) {
      return out;
    }
    long[] rootRowLengths = new long[members.size()];
    List<CholeskyEfPreconditioner> batch = BatchMembers.of(members,
        CholeskyEfPreconditioner.class, this, CholeskyEfPreconditioner::batchedRoots,
        (p, i) -> rootRowLengths[i] = p.rootRowLengthForBatch());
    try (NDManager scope = batch.get(0).stateForBatch().newSubManager()) {
      List<NDArray> statistics = new ArrayList<>(batch.size());
      for (CholeskyEfPreconditioner p : batch) {
        statistics.add(p.statisticForBatch(scope));
      }
      NDArray thresholds = scope.create(quantization.codebook().thresholds());
      BankKernels.Roots roots;
      try {
        roots = kernels.denseEighRoots(statistics, rootRowLengths, thresholds,
            quantization.blockSize(), quantization.codebook().bits(), spec, check);
      } catch (EngineException e) {
        if (!check.passes()) {
          return BatchMembers.noneInstalled(members.size());
        }
        return RootUpdates.oneByOne(members);
      }
      // The new buffers live in the scope until installed (moved to the member's state).
      if (check.isRejected()) {
        // The gate was bad: nothing installed.
        return BatchMembers.noneInstalled(members.size());
      }
      return BatchMembers.installRoots(batch, roots, 3, spec.retriesInFloat64(),
          (p, parts) -> p.installRootForBatch(parts.get(0), parts.get(1), parts.get(2)),
          p -> p.rejectRefreshForBatch("the new inverse root holds NaN or an infinity"));
    }
  }
}
