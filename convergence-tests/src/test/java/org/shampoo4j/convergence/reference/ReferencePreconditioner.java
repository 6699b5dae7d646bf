package org.shampoo4j.convergence.reference;

import org.ejml.data.DMatrixRMaj;

/**
 * The EJML (double precision) reference of one Shampoo statistic and its inverse root in some
 * representation, mirroring the production {@code Preconditioner} SPI: {@link #accumulate} every
 * T1 steps, {@link #refreshInverseRoot} every T2 steps. Mutable.
 */
public interface ReferencePreconditioner {
  /** The order n of the statistic. */
  int order();

  /** Folds {@code gram} into the statistic by the representation's update rule. */
  void accumulate(DMatrixRMaj gram);

  /** Recomputes the stored inverse root from the statistic. */
  void refreshInverseRoot();

  /** The stored inverse root as the step sees it (dequantized); the identity before a refresh. */
  DMatrixRMaj inverseRoot();

  /** The statistic as the representation sees it (dequantized or rebuilt). */
  DMatrixRMaj statistic();

  /** Statistic updates rejected (a failed Cholesky); zero where updates cannot fail. */
  default long rejectedUpdates() {
    return 0;
  }
}
