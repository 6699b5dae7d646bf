package org.shampoo4j.cholesky;

import ai.djl.engine.EngineException;
import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.BatchMembers;
import org.shampoo4j.shampoo.bank.EighRootSpec;
import org.shampoo4j.shampoo.bank.PackedFactor;
import org.shampoo4j.shampoo.bank.RootUpdates;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.BatchedRoots;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;

/**
 * {@link CholeskyEfPreconditioner#refreshInverseRoot} (root stored 4-bit off-diagonal, eigh root
 * method) of many members in one call into the bank module ({@link
 * BankKernels#choleskyEighRoots}: each statistic {@code C̃·C̃ᵀ} rebuilt from its stored factor, the
 * ridged eigh root and its quantization) with one host read of all flags, operator for operator
 * the per-member path (bit for bit its roots). The factors and the error-feedback state are only
 * read. A member whose root is not finite keeps its previous root and counts a rejected refresh;
 * an eigensolver failure refreshes every member alone; non-finite float32 eigenpairs refresh that member alone (its own
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
    List<PackedFactor> factors = new ArrayList<>(batch.size());
    for (CholeskyEfPreconditioner p : batch) {
      factors.add(p.factorForBatch());
    }
    BankKernels.Roots roots;
    try {
      roots = kernels.choleskyEighRoots(factors, rootRowLengths, quantization, spec, check);
    } catch (EngineException e) {
      if (!check.passes()) {
        return BatchMembers.noneInstalled(members.size());
      }
      return RootUpdates.oneByOne(members);
    }
    if (check.isRejected()) {
      // The gate was bad: nothing installed (the new buffers were closed).
      return BatchMembers.noneInstalled(members.size());
    }
    // Each new buffer is installed (moved to its member's state) or closed.
    return BatchMembers.installRoots(batch, roots, 3, spec.retriesInFloat64(),
        (p, parts) -> p.installRootForBatch(parts.get(0), parts.get(1), parts.get(2)),
        p -> p.rejectRefreshForBatch("the new inverse root holds NaN or an infinity"));
  }
}
