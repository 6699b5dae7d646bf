package org.shampoo4j.convergence.optimization;

import org.ejml.data.DMatrixRMaj;
import org.shampoo4j.convergence.fixtures.Dense;
import org.shampoo4j.convergence.reference.ReferencePreconditioner;
import org.shampoo4j.convergence.reference.ReferenceRepresentation;
import org.shampoo4j.convergence.reference.ReferenceSettings;

/**
 * Shampoo's preconditioned direction for one matrix parameter on the EJML reference (docs/algorithms.md §1):
 * statistics L, R updated with {@code G·Gᵀ}, {@code Gᵀ·G} every T1 steps, inverse roots refreshed
 * every T2 steps, direction {@code P = L̂·G·R̂}, optionally grafted to the Frobenius norm of G. The
 * representation decides how L, R and their roots are stored. Mutable (it owns the statistics).
 */
final class ShampooReference {
  private final ReferencePreconditioner left;
  private final ReferencePreconditioner right;
  private final int t1;
  private final int t2;
  private final boolean graft;
  private long step;

  ShampooReference(ReferenceRepresentation representation, ReferenceSettings settings,
      int rows, int cols, int t1, int t2, boolean graft) {
    if (t1 < 1 || t2 < 1) {
      throw new IllegalArgumentException("T1 and T2 must be positive, got " + t1 + ", " + t2);
    }
    this.left = representation.create(rows, settings);
    this.right = representation.create(cols, settings);
    this.t1 = t1;
    this.t2 = t2;
    this.graft = graft;
  }

  /** The direction for gradient g at the next step (statistics and roots updated on schedule). */
  DMatrixRMaj direction(DMatrixRMaj g) {
    step++;
    if (step % t1 == 0) {
      left.accumulate(Dense.gram(g));
      right.accumulate(Dense.gram(Dense.transpose(g)));
    }
    if (step % t2 == 0) {
      left.refreshInverseRoot();
      right.refreshInverseRoot();
    }
    DMatrixRMaj p = Dense.mult(Dense.mult(left.inverseRoot(), g), right.inverseRoot());
    if (!graft) {
      return p;
    }
    double pn = Dense.frobenius(p);
    return pn == 0 ? p : Dense.scale(Dense.frobenius(g) / pn, p);
  }

  /** Statistic updates the representation rejected, both sides. */
  long rejectedUpdates() {
    return left.rejectedUpdates() + right.rejectedUpdates();
  }
}
