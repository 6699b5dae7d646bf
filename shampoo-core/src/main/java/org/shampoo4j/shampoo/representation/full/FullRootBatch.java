package org.shampoo4j.shampoo.representation.full;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.BatchMembers;
import org.shampoo4j.shampoo.bank.EighRootSpec;
import org.shampoo4j.shampoo.bank.RootUpdates;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.BatchedRoots;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;

/**
 * {@link FullMatrixPreconditioner#refreshInverseRoot} with the eigh root method for many members
 * in one call into the bank module (λmax, ridge, eigensolve, clamped spectrum, symmetrised root,
 * operator for operator), with one host read of all flags: bit for bit each member's own refresh.
 * A member whose new root is not finite keeps its previous root; an eigensolver failure in the
 * batch refreshes every member alone, and a member whose float32 eigenpairs are not finite is
 * refreshed alone (its own path retries in float64).
 *
 * @param kernels the bank kernels of the members' device
 * @param spec the root computation of the members' context
 */
record FullRootBatch(BankKernels kernels, EighRootSpec spec) implements BatchedRoots {

  @Override
  public List<RejectedUpdateException> refresh(List<Preconditioner> members, GateCheck check) {
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    if (members.isEmpty()) {
      return out;
    }
    List<NDArray> statistics = new ArrayList<>(members.size());
    List<FullMatrixPreconditioner> batch = BatchMembers.of(members,
        FullMatrixPreconditioner.class, this, FullMatrixPreconditioner::batchedRoots,
        (p, i) -> statistics.add(p.statisticForBatch()));
    BankKernels.Roots roots;
    try {
      roots = kernels.fullEighRoots(statistics, spec, check);
    } catch (EngineException e) {
      if (!check.passes()) {
        return BatchMembers.noneInstalled(members.size());
      }
      return RootUpdates.oneByOne(members);
    }
    if (check.isRejected()) {
      // The gate was bad: nothing installed.
      return BatchMembers.noneInstalled(members.size());
    }
    return BatchMembers.installRoots(batch, roots, 1, spec.retriesInFloat64(),
        (p, parts) -> p.installRoot(parts.get(0)),
        p -> new RejectedUpdateException(Kind.ROOT, p.context().label(),
            "the new inverse root holds NaN or an infinity", null));
  }
}
