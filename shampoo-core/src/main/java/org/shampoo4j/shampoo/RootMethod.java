package org.shampoo4j.shampoo;

import org.shampoo4j.linalg.CoupledNewtonInverseRoot;
import org.shampoo4j.linalg.EighInverseRoot;
import org.shampoo4j.linalg.InverseRootMethod;
import org.shampoo4j.linalg.MatrixFunctions;

/** How Shampoo computes the inverse roots {@code (S + eps·λmax·I)^(−1/4)} (docs/algorithms.md §1). */
public enum RootMethod {
  /** Symmetric eigendecomposition: {@code V·diag(λ^(−1/p))·Vᵀ}. */
  EIGH {
    @Override
    public InverseRootMethod create(MatrixFunctions linalg, int newtonIterations) {
      return new EighInverseRoot(linalg);
    }
  },
  /**
   * The official 32-bit baseline: matmul-only coupled Newton (Schur–Newton) iteration with a fixed
   * number of iterations (10 by default).
   */
  COUPLED_NEWTON {
    @Override
    public InverseRootMethod create(MatrixFunctions linalg, int newtonIterations) {
      return new CoupledNewtonInverseRoot(linalg, newtonIterations);
    }
  };

  /**
   * The method bound to one device's matrix functions.
   *
   * @param linalg matrix functions on the device the roots are computed on
   * @param newtonIterations iterations of the coupled Newton method (ignored by {@link #EIGH})
   */
  public abstract InverseRootMethod create(MatrixFunctions linalg, int newtonIterations);
}
