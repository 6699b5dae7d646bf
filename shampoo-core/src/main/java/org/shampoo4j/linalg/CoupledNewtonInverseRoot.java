package org.shampoo4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Objects;

/**
 * {@code A^(-1/p)} by the coupled Newton (Schur–Newton) iteration of Guo &amp; Higham as used by
 * Shampoo's reference implementation (Anil et al.), with matrix products and scalar operations
 * only.
 *
 * <p>Iteration, with λ̂ an estimate of λmax from {@link MatrixFunctions#maxEigenvalue}:
 *
 * <pre>
 *   z   = (1 + p) / (2·λ̂)
 *   M_0 = z·A,   X_0 = z^(1/p)·I
 *   T_k = ((p + 1)·I − M_k) / p
 *   X_{k+1} = X_k·T_k,   M_{k+1} = T_k^p·M_k        (T^p by repeated squaring)
 * </pre>
 *
 * All iterates are polynomials in A, so {@code X_k^p·A = M_k} throughout; as {@code M_k → I},
 * {@code X_k → A^(-1/p)}. The scaled spectrum starts in {@code (0, (1+p)/2]} when λ̂ = λmax, inside
 * the convergence region {@code (0, p+1)}; λ̂ may underestimate λmax by up to 2× and still
 * converge. Small eigenvalues grow only by about {@code (1+1/p)^p} (≈ 2.44 for p = 4) per step
 * before quadratic convergence sets in, so about {@code log(κ)/log(2.44) + 4} steps are needed
 * (≈ 9 at condition κ = 1e2, ≈ 19 at 1e6, the most Shampoo's ridge eps = 1e-6 allows). With fewer,
 * the smallest eigenvalues' roots come out too small: measured NRE of {@code A^(-1/4)} for 10 steps
 * is ~5e-7 at κ = 1e2, ~1.7 % at 1e4 and 40–60 % at 1e6; 20 steps reach ~1e-3 at 1e6 (LINALG.md).
 *
 * <p>Divergence guard (as in the reference implementation, but without a host read): a step is
 * kept only if {@code ‖M − I‖F} fell below 1.2× its previous value; otherwise the previous
 * iterate is kept, selected on the device with {@code where} (a rejected step is then recomputed
 * identically, so the iteration stays frozen, like the reference's early exit). The result is
 * symmetrised.
 */
public final class CoupledNewtonInverseRoot implements InverseRootMethod {
  /** Default number of iterations, as in the 32-bit Shampoo baseline (docs/algorithms.md §1). */
  public static final int DEFAULT_ITERATIONS = 10;

  private static final float DIVERGENCE_FACTOR = 1.2f;

  private final MatrixFunctions functions;
  private final int iterations;

  /**
   * A coupled Newton inverse root with {@link #DEFAULT_ITERATIONS}.
   *
   * @param functions provides {@link MatrixFunctions#maxEigenvalue} (matmul-only power iteration)
   */
  public CoupledNewtonInverseRoot(MatrixFunctions functions) {
    this(functions, DEFAULT_ITERATIONS);
  }

  /**
   * A coupled Newton inverse root.
   *
   * @param functions provides {@link MatrixFunctions#maxEigenvalue}
   * @param iterations number of Newton steps, at least 1
   */
  public CoupledNewtonInverseRoot(MatrixFunctions functions, int iterations) {
    this.functions = Objects.requireNonNull(functions, "functions");
    if (iterations < 1) {
      throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
    }
    this.iterations = iterations;
  }

  /** Number of Newton steps. */
  public int iterations() {
    return iterations;
  }

  @Override
  public String name() {
    return "coupled-newton-" + iterations;
  }

  @Override
  public NDArray inverseRoot(NDArray spd, int p) {
    MatrixChecks.requireSquareFloat(spd, "spd");
    MatrixChecks.requireRoot(p);
    int n = Math.toIntExact(spd.getShape().get(0));
    NDManager original = spd.getManager();
    try (NDManager scope = original.newSubManager(spd.getDevice())) {
      spd.tempAttach(scope);
      NDArray identity = scope.eye(n, n, 0, DataType.FLOAT32);
      NDArray lambda = functions.maxEigenvalue(spd).maximum(Float.MIN_NORMAL);
      NDArray z = lambda.pow(-1).mul((1.0f + p) / 2.0f);
      NDArray m = spd.mul(z);
      NewtonIterate current = new NewtonIterate(identity.mul(z.pow(1.0 / p)), m);
      NDArray error = residual(m, identity);
      // (p+1)·I, the same in every step: made once.
      NDArray scaledIdentity = identity.mul(p + 1.0f);
      for (int k = 0; k < iterations; k++) {
        NewtonIterate next = current.next(scaledIdentity, p);
        NDArray errorNext = residual(next.m(), identity);
        // NaN compares false, so a blown-up step is rejected too.
        NDArray accept = errorNext.lt(error.mul(DIVERGENCE_FACTOR));
        current = next.where(accept, current);
        error = NDArrays.where(accept, errorNext, error);
      }
      NDArray x = current.x();
      NDArray result = x.add(x.transpose()).mul(0.5f);
      result.attach(original);
      return result;
    }
  }

  /**
   * {@code ‖M − I‖F}. In exact arithmetic every eigenvalue of M moves strictly closer to 1 on each
   * step inside the convergence region, so this norm decreases monotonically; the element-wise
   * maximum used by the reference implementation does not (it rejected good steps on a 3×3
   * matrix with p = 2 in our tests and froze the iteration).
   */
  private static NDArray residual(NDArray m, NDArray identity) {
    return m.sub(identity).square().sum().sqrt();
  }

  @Override
  public String toString() {
    return "CoupledNewtonInverseRoot[iterations=" + iterations + "]";
  }
}
