package org.shampoo4j.shampoo.representation.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.BatchMembers;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.BatchedRoots;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.QuantizedInverseRoot;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;

/**
 * {@link EigenBjorckPreconditioner#refreshInverseRoot} of many members in one call into the bank
 * module (decode, Björck, clamped and ridged spectrum, {@code Vᵀ·diag·V}, encode, operator for
 * operator; no solver), with one host read of all finiteness flags: bit for bit each member's own
 * refresh. A member whose new root is not finite keeps its previous root.
 *
 * @param kernels the bank kernels of the members' device
 * @param spec the members' quantization spec
 * @param epsilon the relative ridge
 * @param rootExponent p of the inverse p-th root
 * @param bjorckSteps Björck steps on the decoded eigenvectors
 */
record EigenRootBatch(BankKernels kernels, QuantizationSpec spec, float epsilon,
    int rootExponent, int bjorckSteps) implements BatchedRoots {

  @Override
  public List<RejectedUpdateException> refresh(List<Preconditioner> members, GateCheck check) {
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    if (members.isEmpty()) {
      return out;
    }
    List<PackedNDArray> vectors = new ArrayList<>(members.size());
    List<NDArray> eigenvalues = new ArrayList<>(members.size());
    List<PackedNDArray> roots = new ArrayList<>(members.size());
    for (int i = 0; i < members.size(); i++) {
      if (!(members.get(i) instanceof EigenBjorckPreconditioner p)
          || !equals(p.batchedRoots().orElse(null))) {
        throw new IllegalArgumentException("member " + i + " is not of this batch");
      }
      vectors.add(p.eigenvectorsForBatch());
      eigenvalues.add(p.eigenvaluesForBatch());
      roots.add(p.inverseRootForBatch().packed());
    }
    NDManager manager = vectors.get(0).getManager();
    BankKernels.Updated updated;
    NDArray values = kernels.constant(spec.codebook().values(), manager.getDevice());
    NDArray thresholds = kernels.constant(spec.codebook().thresholds(),
        manager.getDevice());
    updated = kernels.eigenRoots(vectors, eigenvalues, roots, values, thresholds, bjorckSteps,
        epsilon, rootExponent, check);
    if (check.isRejected()) {
      // The gate was bad: nothing installed.
      return BatchMembers.noneInstalled(members.size());
    }
    boolean[] finite = updated.finite();
    for (int i = 0; i < members.size(); i++) {
      EigenBjorckPreconditioner p = (EigenBjorckPreconditioner) members.get(i);
      List<NDArray> parts = updated.arrays().subList(3 * i, 3 * i + 3);
      if (finite[i]) {
        QuantizedInverseRoot root = p.inverseRootForBatch();
        root.install(root.packed().withBuffers(parts.get(0), parts.get(1), parts.get(2)));
        out.add(null);
      } else {
        parts.forEach(NDArray::close);
        out.add(new RejectedUpdateException(Kind.ROOT, p.context().label(),
            "the new inverse root holds NaN or an infinity", null));
      }
    }
    return out;
  }
}
