package org.shampoo4j.convergence.reference;

import org.ejml.data.DMatrixRMaj;
import org.shampoo4j.convergence.fixtures.Dense;

/** 32-bit Shampoo's statistic and root (docs/algorithms.md §1), exact in double precision. */
final class Fp32Reference implements ReferencePreconditioner {
  private final ReferenceSettings settings;
  private DMatrixRMaj statistic;
  private DMatrixRMaj root;

  Fp32Reference(int order, ReferenceSettings settings) {
    this.settings = settings;
    this.statistic = Dense.scale(settings.eps(), Dense.identity(order));
    this.root = Dense.identity(order);
  }

  @Override
  public int order() {
    return statistic.numRows;
  }

  @Override
  public void accumulate(DMatrixRMaj gram) {
    statistic = Dense.combine(settings.beta(), statistic, settings.gramWeight(), gram);
  }

  @Override
  public void refreshInverseRoot() {
    root = Dense.ridgedInverseRoot(statistic, settings.root(), settings.eps());
  }

  @Override
  public DMatrixRMaj inverseRoot() {
    return root.copy();
  }

  @Override
  public DMatrixRMaj statistic() {
    return statistic.copy();
  }
}
