package org.shampoo4j.testing;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;

/**
 * The official 4-bit Shampoo code's {@code ComputePower} (power-iteration ridge, then the
 * Frobenius-scaled coupled Newton iteration with max-abs error and its two early exits), written
 * in double precision with EJML as an independent host reference for {@code
 * org.shampoo4j.linalg.OfficialComputePower}. The power iteration starts from the same fixed vector,
 * {@code sin(1 + 1.618034·i)} with the phase rounded to float as the device computes it.
 */
public final class HostComputePower {
  /** Why the Newton iteration ended. */
  public enum Stop {
    /** The max-abs error reached the tolerance. */
    CONVERGED,
    /** A step would have grown the error by more than 1.2×; the previous iterate was kept. */
    DIVERGED,
    /** The step limit was reached. */
    LIMIT
  }

  /**
   * The outcome of one root.
   *
   * @param root {@code (A + eps·λ̂·I)^(−1/p)} as the iteration left it
   * @param lambda the power iteration's λ̂
   * @param steps Newton steps taken
   * @param stop why the iteration ended
   */
  public record Result(DMatrixRMaj root, double lambda, int steps, Stop stop) {}

  private static final double TOLERANCE = 1e-6;
  private static final int POWER_ITERATIONS = 10;

  private HostComputePower() {}

  /**
   * The official root of a square (not necessarily symmetric) matrix.
   *
   * @param a the matrix
   * @param p the root
   * @param ridgeEpsilon eps of the ridge {@code eps·λ̂}
   * @param iterations the Newton step limit
   */
  public static Result inverseRoot(DMatrixRMaj a, int p, double ridgeEpsilon, int iterations) {
    int n = a.numRows;
    DMatrixRMaj identity = CommonOps_DDRM.identity(n);
    if (n == 1) {
      return new Result(identity, a.get(0, 0), 0, Stop.CONVERGED);
    }
    double lambda = powerIteration(a);
    DMatrixRMaj g = a.copy();
    for (int i = 0; i < n; i++) {
      g.add(i, i, ridgeEpsilon * lambda);
    }
    double z = (1.0 + p) / (2 * NormOps_DDRM.normF(g));
    DMatrixRMaj x = identity.copy();
    CommonOps_DDRM.scale(Math.pow(z, 1.0 / p), x);
    DMatrixRMaj m = g.copy();
    CommonOps_DDRM.scale(z, m);
    double error = maxAbsDeviation(m);
    int steps = 0;
    while (true) {
      if (!(error > TOLERANCE)) {
        return new Result(x, lambda, steps, Stop.CONVERGED);
      }
      if (steps >= iterations) {
        return new Result(x, lambda, steps, Stop.LIMIT);
      }
      DMatrixRMaj t = new DMatrixRMaj(n, n);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          t.set(i, j, ((i == j ? p + 1.0 : 0.0) - m.get(i, j)) / p);
        }
      }
      DMatrixRMaj xNext = mult(x, t);
      DMatrixRMaj mNext = new DMatrixRMaj(n, n);
      CommonOps_DDRM.mult(power(t, p), m, mNext);
      double errorNext = maxAbsDeviation(mNext);
      if (errorNext > 1.2 * error || Double.isNaN(errorNext)) {
        return new Result(x, lambda, steps, Stop.DIVERGED);
      }
      x = xNext;
      m = mNext;
      error = errorNext;
      steps++;
    }
  }

  /** The official power iteration's λ̂: the last Rayleigh quotient, at most 10 steps. */
  public static double powerIteration(DMatrixRMaj a) {
    int n = a.numRows;
    DMatrixRMaj v = new DMatrixRMaj(n, 1);
    for (int i = 0; i < n; i++) {
      v.set(i, Math.sin((float) ((float) i * 1.618034f) + 1f));
    }
    double estimate = 0;
    double error = 1;
    for (int it = 0; it < POWER_ITERATIONS && error > TOLERANCE; it++) {
      DMatrixRMaj unit = v.copy();
      CommonOps_DDRM.divide(unit, NormOps_DDRM.normF(v));
      DMatrixRMaj mv = new DMatrixRMaj(n, 1);
      CommonOps_DDRM.mult(a, unit, mv);
      double quotient = CommonOps_DDRM.dot(unit, mv);
      error = Math.abs(quotient - estimate);
      v = mv;
      estimate = quotient;
    }
    return estimate;
  }

  /** {@code t^p} by repeated squaring, as the official {@code MatPower} computes it. */
  private static DMatrixRMaj power(DMatrixRMaj t, int p) {
    DMatrixRMaj result = null;
    DMatrixRMaj base = t;
    for (int e = p; ; ) {
      if ((e & 1) == 1) {
        result = result == null ? base : mult(result, base);
      }
      e >>= 1;
      if (e == 0) {
        return result;
      }
      base = mult(base, base);
    }
  }

  private static DMatrixRMaj mult(DMatrixRMaj a, DMatrixRMaj b) {
    DMatrixRMaj c = new DMatrixRMaj(a.numRows, b.numCols);
    CommonOps_DDRM.mult(a, b, c);
    return c;
  }

  private static double maxAbsDeviation(DMatrixRMaj m) {
    double worst = 0;
    for (int i = 0; i < m.numRows; i++) {
      for (int j = 0; j < m.numCols; j++) {
        worst = Math.max(worst, Math.abs(m.get(i, j) - (i == j ? 1 : 0)));
      }
    }
    return worst;
  }
}
