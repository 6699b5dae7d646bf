package org.shampoo4j.convergence.reference;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.shampoo4j.convergence.fixtures.Dense;
import org.shampoo4j.convergence.fixtures.MatrixQuantizer;

/**
 * The Cholesky-factor recursion of docs/algorithms.md §6, with or without error feedback. State: the fp32
 * diagonal d of the factor, its strictly-lower entries quantized as one row-major vector, and (with
 * feedback) the error E's strictly-lower entries quantized as a second vector.
 *
 * <p>Update: {@code C̃ = D(lower) + diag(d)}; {@code L = β·C̃·C̃ᵀ + w·gram};
 * {@code C = chol(L + r·I)} with {@code r = eps·λmax(L)} (λmax by 10 power iterations), retried with r ×10 up to three times,
 * else the update is rejected; with feedback {@code X = C + E} (strictly lower), store
 * {@code Q(X)}, {@code E ← βe·E + (1−βe)·(X − D(Q(X)))}, itself stored 4-bit. Root:
 * {@code (C̃·C̃ᵀ + r·I)^(−1/p)} stored 4-bit off-diagonal.
 */
public final class CholeskyReference implements ReferencePreconditioner {
  private static final int RIDGE_RETRIES = 3;
  /** Power iterations for λmax in the ridge (docs/algorithms.md §6: "a few"). */
  private static final int POWER_ITERATIONS = 10;

  private final ReferenceSettings settings;
  private final boolean errorFeedback;
  private final boolean quantized;
  private final int order;
  private double[] diagonal;
  private double[] lower;
  private double[] error;
  private DMatrixRMaj root;
  private long rejected;

  CholeskyReference(int order, ReferenceSettings settings, boolean errorFeedback) {
    this.order = order;
    this.settings = settings;
    this.errorFeedback = errorFeedback;
    this.quantized = settings.quantizes(order);
    this.diagonal = new double[order];
    Arrays.fill(diagonal, (float) Math.sqrt(settings.eps()));
    this.lower = new double[order * (order - 1) / 2];
    this.error = new double[lower.length];
    this.root = Dense.identity(order);
  }

  private double[] store(double[] x) {
    return quantized ? settings.quantizer().roundTrip(x) : x;
  }

  /** The rebuilt factor {@code C̃ = D(lower) + diag(d)}. */
  public DMatrixRMaj factor() {
    DMatrixRMaj c = MatrixQuantizer.fromStrictlyLower(lower, order);
    for (int i = 0; i < order; i++) {
      c.set(i, i, diagonal[i]);
    }
    return c;
  }

  /** The error-feedback state E (strictly lower), zero without feedback. */
  public DMatrixRMaj errorState() {
    return MatrixQuantizer.fromStrictlyLower(error, order);
  }

  @Override
  public int order() {
    return order;
  }

  @Override
  public void accumulate(DMatrixRMaj gram) {
    DMatrixRMaj l = Dense.combine(settings.beta(), Dense.gram(factor()), settings.gramWeight(), gram);
    double ridge = settings.eps() * Dense.largestEigenvalue(l, POWER_ITERATIONS);
    DMatrixRMaj c = null;
    for (int attempt = 0; attempt <= RIDGE_RETRIES && c == null; attempt++) {
      c = Dense.choleskyOrNull(Dense.plusIdentity(l, ridge));
      ridge *= 10;
    }
    if (c == null) {
      rejected++;
      return;
    }
    double[] next = MatrixQuantizer.strictlyLower(c);
    for (int i = 0; i < order; i++) {
      diagonal[i] = (float) c.get(i, i);
    }
    if (!errorFeedback) {
      lower = store(next);
      return;
    }
    double[] x = new double[next.length];
    for (int k = 0; k < x.length; k++) {
      x[k] = next[k] + error[k];
    }
    double[] stored = store(x);
    double[] e = new double[x.length];
    double be = settings.errorBeta();
    for (int k = 0; k < x.length; k++) {
      e[k] = be * error[k] + (1 - be) * (x[k] - stored[k]);
    }
    lower = stored;
    error = store(e);
  }

  @Override
  public void refreshInverseRoot() {
    DMatrixRMaj r = Dense.ridgedInverseRoot(statistic(), settings.root(), settings.eps());
    root = quantized ? settings.quantizer().roundTripOffDiagonal(r) : r;
  }

  @Override
  public DMatrixRMaj inverseRoot() {
    return root.copy();
  }

  @Override
  public DMatrixRMaj statistic() {
    return Dense.gram(factor());
  }

  @Override
  public long rejectedUpdates() {
    return rejected;
  }
}
