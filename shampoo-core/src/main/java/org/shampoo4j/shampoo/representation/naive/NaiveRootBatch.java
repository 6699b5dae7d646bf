package org.shampoo4j.shampoo.representation.naive;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.BatchMembers;
import org.shampoo4j.shampoo.bank.EighRootSpec;
import org.shampoo4j.shampoo.bank.RootUpdates;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.BatchedRoots;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.QuantizedInverseRoot;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;

/**
 * {@link NaiveQuantizedPreconditioner#refreshInverseRoot} ({@link NaiveRoot#SYMMETRIZED}, eigh
 * root method) for many members in one call into the bank module (decode, symmetrise, λmax,
 * ridge, eigensolve, clamped spectrum, symmetrised root, encode, operator for operator), with one
 * host read of all flags: bit for bit each member's own refresh. Failures as in the fp32 batch:
 * a non-finite root keeps the previous one, an eigensolver failure refreshes every member alone,
 * non-finite float32 eigenpairs refresh that member alone (float64 retry).
 *
 * @param kernels the bank kernels of the members' device
 * @param quantization the members' quantization spec
 * @param spec the root computation of the members' context
 */
record NaiveRootBatch(BankKernels kernels, QuantizationSpec quantization, EighRootSpec spec)
    implements BatchedRoots {

  @Override
  public List<RejectedUpdateException> refresh(List<Preconditioner> members, GateCheck check) {
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    if (members.isEmpty()) {
      return out;
    }
    List<PackedNDArray> statistics = new ArrayList<>(members.size());
    long[] rootRowLengths = new long[members.size()];
    List<NaiveQuantizedPreconditioner> batch = BatchMembers.of(members,
        NaiveQuantizedPreconditioner.class, this, NaiveQuantizedPreconditioner::batchedRoots,
        (p, i) -> {
          statistics.add(p.statisticForBatch());
          rootRowLengths[i] = p.inverseRootForBatch().packed().grid().rowLength();
        });
    NDManager manager = statistics.get(0).getManager();
    BankKernels.Roots roots;
    try {
      NDArray values = kernels.constant(quantization.codebook().values(), manager.getDevice());
      NDArray thresholds =
          kernels.constant(quantization.codebook().thresholds(), manager.getDevice());
      roots = kernels.naiveEighRoots(statistics, rootRowLengths, values, thresholds, spec, check);
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
    return BatchMembers.installRoots(batch, roots, 3, spec.retriesInFloat64(),
        (p, parts) -> {
          QuantizedInverseRoot root = p.inverseRootForBatch();
          root.install(root.packed().withBuffers(parts.get(0), parts.get(1), parts.get(2)));
        },
        p -> new RejectedUpdateException(Kind.ROOT, p.context().label(),
            "the new inverse root holds NaN or an infinity", null));
  }
}
