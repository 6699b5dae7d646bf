package org.shampoo4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * {@code (A + eps·λ̂·I)^(−1/p)} exactly as the official 4-bit Shampoo code computes the naive
 * baseline's root (its {@code ComputePower}, taken from Google's scalable Shampoo; docs/algorithms.md §8). The
 * input is used as it is: it need not be symmetric (the naive baseline hands it the dequantized
 * statistic, whose row-wise blocks quantize {@code A[i][j]} and {@code A[j][i]} differently) nor
 * positive definite.
 *
 * <ol>
 *   <li>λ̂: power iteration from a fixed start vector with entries in (−1, 1) (the official code
 *       draws it at random), at most {@value #POWER_ITERATIONS} steps, stopping once the Rayleigh
 *       quotient {@code vᵀAv} changes by at most {@value #TOLERANCE}; λ̂ is the last quotient.
 *   <li>{@code G = A + eps·λ̂·I}, {@code z = (1+p)/(2·‖G‖F)}, {@code X = z^(1/p)·I}, {@code M =
 *       z·G}, error {@code e = max|M − I|}.
 *   <li>While {@code e > }{@value #TOLERANCE} and fewer than {@code iterations} steps were taken:
 *       {@code T = ((p+1)·I − M)/p}, {@code X' = X·T}, {@code M' = T^p·M}; if {@code max|M' − I| >
 *       1.2·e} stop and keep X, else take the step.
 * </ol>
 *
 * <p>Order 1 returns the identity, as the official code does. The result is not symmetrised. The
 * two early exits are evaluated on the device with {@code where} (a stopped iteration stays
 * frozen), so there is no host synchronisation. One deliberate difference: a step whose error is
 * NaN is rejected (the official comparison {@code NaN > 1.2·e} is false and would keep it).
 *
 * <p>Compared with {@link CoupledNewtonInverseRoot} (the same Newton map): z comes from the
 * Frobenius norm instead of λ̂ (slower convergence on ill-conditioned inputs), the error is the
 * element-wise maximum, the ridge is part of the method, and the iteration may stop early.
 */
public final class OfficialComputePower {
  /** The official iteration count. */
  public static final int DEFAULT_ITERATIONS = 10;
  /** Power-iteration steps for λ̂, as in the official code. */
  public static final int POWER_ITERATIONS = 10;
  /** Error tolerance of both iterations, as in the official code. */
  public static final double TOLERANCE = 1e-6;
  /** A Newton step whose error exceeds this multiple of the previous one ends the iteration. */
  public static final float DIVERGENCE_FACTOR = 1.2f;
  /** Spacing of the fixed start vector's phases (the golden ratio): entries sin(1 + 1.618·i). */
  private static final float START_PHASE_STEP = 1.618034f;

  private final float ridgeEpsilon;
  private final int iterations;

  /**
   * The official method with {@link #DEFAULT_ITERATIONS}.
   *
   * @param ridgeEpsilon eps of the ridge {@code eps·λ̂·I}, positive (Shampoo's 1e-6)
   */
  public OfficialComputePower(float ridgeEpsilon) {
    this(ridgeEpsilon, DEFAULT_ITERATIONS);
  }

  /**
   * The official method with a chosen Newton step limit.
   *
   * @param ridgeEpsilon eps of the ridge {@code eps·λ̂·I}, positive and finite
   * @param iterations Newton steps at most, at least 1
   * @throws IllegalArgumentException on a bad setting
   */
  public OfficialComputePower(float ridgeEpsilon, int iterations) {
    if (!(ridgeEpsilon > 0) || !Float.isFinite(ridgeEpsilon)) {
      throw new IllegalArgumentException(
          "ridge epsilon must be positive and finite, got " + ridgeEpsilon);
    }
    if (iterations < 1) {
      throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
    }
    this.ridgeEpsilon = ridgeEpsilon;
    this.iterations = iterations;
  }

  /** The ridge's eps. */
  public float ridgeEpsilon() {
    return ridgeEpsilon;
  }

  /** The Newton step limit. */
  public int iterations() {
    return iterations;
  }

  /**
   * {@code (A + eps·λ̂·I)^(−1/p)} by the official iteration.
   *
   * @param matrix a square float32 matrix, not necessarily symmetric
   * @param p the root, at least 1
   * @return a new array attached to the input's manager
   */
  public NDArray inverseRoot(NDArray matrix, int p) {
    MatrixChecks.requireSquareFloat(matrix, "matrix");
    MatrixChecks.requireRoot(p);
    int n = Math.toIntExact(matrix.getShape().get(0));
    NDManager original = matrix.getManager();
    try (NDManager scope = original.newSubManager(matrix.getDevice())) {
      matrix.tempAttach(scope);
      NDArray identity = scope.eye(n, n, 0, DataType.FLOAT32);
      if (n == 1) {
        identity.attach(original);
        return identity;
      }
      NDArray g = matrix.add(identity.mul(maxEigenvalue(matrix).mul(ridgeEpsilon)));
      NDArray z = g.square().sum().sqrt().pow(-1).mul((1.0f + p) / 2.0f);
      NewtonIterate current = new NewtonIterate(identity.mul(z.pow(1.0 / p)), g.mul(z));
      NDArray error = maxAbsDeviation(current.m(), identity);
      NDArray running = scope.create(true);
      // (p+1)·I, the same in every step: made once.
      NDArray scaledIdentity = identity.mul(p + 1.0f);
      for (int k = 0; k < iterations; k++) {
        NewtonIterate next = current.next(scaledIdentity, p);
        NDArray errorNext = maxAbsDeviation(next.m(), identity);
        NDArray diverged = errorNext.gt(error.mul(DIVERGENCE_FACTOR)).logicalOr(errorNext.isNaN());
        // The loop condition (error above tolerance), then the break on divergence.
        running = running.logicalAnd(error.gt(TOLERANCE)).logicalAnd(diverged.logicalNot());
        current = next.where(running, current);
        error = NDArrays.where(running, errorNext, error);
      }
      NDArray x = current.x();
      x.attach(original);
      return x;
    }
  }

  /**
   * The official power iteration's estimate of the dominant eigenvalue (the Rayleigh quotient of
   * its last step), as a scalar on the matrix's device.
   *
   * @param matrix a square float32 matrix
   * @return a new scalar attached to the input's manager
   */
  public NDArray maxEigenvalue(NDArray matrix) {
    MatrixChecks.requireSquareFloat(matrix, "matrix");
    long n = matrix.getShape().get(0);
    NDManager original = matrix.getManager();
    try (NDManager scope = original.newSubManager(matrix.getDevice())) {
      matrix.tempAttach(scope);
      NDArray v = scope.arange(0f, (float) n).mul(START_PHASE_STEP).add(1f).sin().reshape(n, 1);
      NDArray estimate = scope.create(0f);
      NDArray error = scope.create(1f);
      for (int i = 0; i < POWER_ITERATIONS; i++) {
        NDArray active = error.gt(TOLERANCE);
        NDArray unit = v.div(v.square().sum().sqrt());
        NDArray mv = matrix.matMul(unit);
        NDArray quotient = unit.mul(mv).sum();
        NDArray change = quotient.sub(estimate).abs();
        v = NDArrays.where(active.broadcast(new Shape(n, 1)), mv, v);
        estimate = NDArrays.where(active, quotient, estimate);
        error = NDArrays.where(active, change, error);
      }
      estimate.attach(original);
      return estimate;
    }
  }

  private static NDArray maxAbsDeviation(NDArray m, NDArray identity) {
    return m.sub(identity).abs().max();
  }

  @Override
  public String toString() {
    return "OfficialComputePower[eps=" + ridgeEpsilon + ", iterations=" + iterations + "]";
  }
}
