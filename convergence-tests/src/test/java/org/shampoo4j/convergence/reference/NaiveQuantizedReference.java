package org.shampoo4j.convergence.reference;

import org.ejml.data.DMatrixRMaj;
import org.shampoo4j.convergence.fixtures.Dense;

/**
 * Naive 4-bit Shampoo (docs/algorithms.md §3): the statistic and its inverse root are stored 4-bit off-diagonal
 * with an fp32 diagonal; every update dequantizes, updates and requantizes.
 */
final class NaiveQuantizedReference implements ReferencePreconditioner {
  private final ReferenceSettings settings;
  private final boolean quantized;
  private DMatrixRMaj statistic;
  private DMatrixRMaj root;

  NaiveQuantizedReference(int order, ReferenceSettings settings) {
    this.settings = settings;
    this.quantized = settings.quantizes(order);
    this.statistic = store(Dense.scale(settings.eps(), Dense.identity(order)));
    this.root = Dense.identity(order);
  }

  private DMatrixRMaj store(DMatrixRMaj m) {
    return quantized ? settings.quantizer().roundTripOffDiagonal(m) : m;
  }

  @Override
  public int order() {
    return statistic.numRows;
  }

  @Override
  public void accumulate(DMatrixRMaj gram) {
    statistic = store(Dense.combine(settings.beta(), statistic, settings.gramWeight(), gram));
  }

  @Override
  public void refreshInverseRoot() {
    root = store(Dense.ridgedInverseRoot(statistic, settings.root(), settings.eps()));
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
