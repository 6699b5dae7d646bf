package org.shampoo4j.convergence.reference;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.shampoo4j.convergence.fixtures.Dense;

/**
 * 4-bit Shampoo by eigenvector quantization (docs/algorithms.md §3): the eigenvector rows V stored 4-bit (blocks
 * along rows), eigenvalues fp32, the root 4-bit off-diagonal. Preconditioner update: one Björck
 * step on the dequantized V, rebuild, EMA, one warm-started subspace iteration (QR), requantize.
 * Root update: four Björck steps, then {@code Vᵀ·diag((λ + eps·max λ)^(−1/p))·V}.
 */
final class EigenBjorckReference implements ReferencePreconditioner {
  /** Björck steps before the statistic update (t1) and before the root (t2), docs/algorithms.md §3. */
  private static final int T1_STEPS = 1;
  private static final int T2_STEPS = 4;

  private final ReferenceSettings settings;
  private final boolean quantized;
  private DMatrixRMaj storedRows;
  private double[] lambda;
  private DMatrixRMaj root;

  EigenBjorckReference(int order, ReferenceSettings settings) {
    this.settings = settings;
    this.quantized = settings.quantizes(order);
    this.storedRows = storeRows(Dense.identity(order));
    this.lambda = new double[order];
    Arrays.fill(lambda, (float) settings.eps());
    this.root = Dense.identity(order);
  }

  private DMatrixRMaj storeRows(DMatrixRMaj v) {
    return quantized ? settings.quantizer().roundTrip(v) : v;
  }

  @Override
  public int order() {
    return lambda.length;
  }

  @Override
  public void accumulate(DMatrixRMaj gram) {
    DMatrixRMaj v = Dense.bjorck(storedRows, T1_STEPS);
    DMatrixRMaj a = Dense.fromEigen(Dense.transpose(v), lambda);
    a = Dense.combine(settings.beta(), a, settings.gramWeight(), gram);
    // One warm-started subspace iteration: P = A·Vᵀ, Q = qr(P).
    DMatrixRMaj q = Dense.qrQ(Dense.multTransB(a, v));
    DMatrixRMaj aq = Dense.mult(a, q);
    double[] next = new double[lambda.length];
    for (int i = 0; i < next.length; i++) {
      double s = 0;
      for (int k = 0; k < next.length; k++) {
        s += q.get(k, i) * aq.get(k, i);
      }
      next[i] = (float) s;
    }
    lambda = next;
    storedRows = storeRows(Dense.transpose(q));
  }

  @Override
  public void refreshInverseRoot() {
    DMatrixRMaj v = Dense.bjorck(storedRows, T2_STEPS);
    double max = Double.NEGATIVE_INFINITY;
    for (double l : lambda) {
      max = Math.max(max, l);
    }
    double ridge = settings.eps() * max;
    double[] d = new double[lambda.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = Math.pow(Math.max(lambda[i], 0) + ridge, -1.0 / settings.root());
    }
    DMatrixRMaj r = Dense.fromEigen(Dense.transpose(v), d);
    root = quantized ? settings.quantizer().roundTripOffDiagonal(r) : r;
  }

  @Override
  public DMatrixRMaj inverseRoot() {
    return root.copy();
  }

  @Override
  public DMatrixRMaj statistic() {
    return Dense.fromEigen(Dense.transpose(Dense.bjorck(storedRows, T1_STEPS)), lambda);
  }
}
