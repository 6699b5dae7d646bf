package org.shampoo4j.linalg;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code A^(-1/p)} by symmetric eigendecomposition: {@code A = V·diag(λ)·Vᵀ}, then {@code
 * V·diag(max(λ, f)^(-1/p))·Vᵀ}.
 *
 * <p>Clamping: an fp32 eigensolver returns the small eigenvalues of a matrix only to an absolute
 * accuracy of about {@code ε·λmax}, so they may come out tiny or negative even for a positive
 * definite input. Each eigenvalue is therefore raised to the floor {@code f = max(relativeFloor ·
 * λmax, Float.MIN_NORMAL)} before the root (default {@link #DEFAULT_RELATIVE_FLOOR}, about the
 * fp32 unit roundoff). Shampoo's own ridge {@code eps·λmax} (eps = 1e-6) lies above this floor,
 * so for Shampoo's inputs the clamp only removes solver noise; for a singular input it bounds the
 * result's norm by {@code f^(-1/p)} instead of returning Inf/NaN.
 *
 * <p>Everything stays on the input's device; there is no host synchronisation beyond the
 * eigensolver's own, except where a float64 retry exists: a float32 eigensolve that fails,
 * by throwing or by returning non-finite eigenvalues or eigenvectors, is retried once in float64
 * ({@link MatrixFunctions#wider()}); telling the second case needs one scalar read per solve.
 */
public final class EighInverseRoot implements InverseRootMethod {
  /** Default relative eigenvalue floor, ~ fp32 unit roundoff (2^-24 ≈ 6e-8, rounded up). */
  public static final double DEFAULT_RELATIVE_FLOOR = 1e-7;

  private static final Logger LOG = LoggerFactory.getLogger(EighInverseRoot.class);

  private final MatrixFunctions functions;
  private final double relativeFloor;
  /** Float64 eigh for retrying a failed float32 solve, or null when there is none. */
  private final MatrixFunctions wider;

  /**
   * An eigh-based inverse root with {@link #DEFAULT_RELATIVE_FLOOR}.
   *
   * @param functions provides {@link MatrixFunctions#eigh}
   */
  public EighInverseRoot(MatrixFunctions functions) {
    this(functions, DEFAULT_RELATIVE_FLOOR);
  }

  /**
   * An eigh-based inverse root.
   *
   * @param functions provides {@link MatrixFunctions#eigh}
   * @param relativeFloor eigenvalues are clamped to at least {@code relativeFloor·λmax}; in [0, 1)
   */
  public EighInverseRoot(MatrixFunctions functions, double relativeFloor) {
    this.functions = Objects.requireNonNull(functions, "functions");
    if (!(relativeFloor >= 0 && relativeFloor < 1)) {
      throw new IllegalArgumentException("relativeFloor must be in [0, 1), got " + relativeFloor);
    }
    this.relativeFloor = relativeFloor;
    this.wider = functions.wider().orElse(null);
  }

  /** The matrix functions whose eigensolver this method uses. */
  public MatrixFunctions functions() {
    return functions;
  }

  /** Eigenvalues are clamped to at least this fraction of λmax. */
  public double relativeFloor() {
    return relativeFloor;
  }

  @Override
  public String name() {
    return "eigh";
  }

  @Override
  public NDArray inverseRoot(NDArray spd, int p) {
    MatrixChecks.requireSquareFloat(spd, "spd");
    MatrixChecks.requireRoot(p);
    NDManager original = spd.getManager();
    try (NDManager scope = original.newSubManager(spd.getDevice())) {
      spd.tempAttach(scope);
      EigenPairs pairs = eigh(spd);
      NDArray values = pairs.values();
      NDArray floor = values.max().mul(relativeFloor).maximum(Float.MIN_NORMAL);
      NDArray scaled = values.maximum(floor).pow(-1.0 / p);
      NDArray v = pairs.vectors();
      // V·diag(d)·Vᵀ as (V scaled column-wise)·Vᵀ: one matmul.
      NDArray root = v.mul(scaled.expandDims(0)).matMul(v.transpose());
      // Rounding leaves a tiny asymmetry; the preconditioner must be exactly symmetric.
      NDArray result = root.add(root.transpose()).mul(0.5f);
      result.attach(original);
      return result;
    }
  }

  /**
   * The eigendecomposition; a float32 solve that fails is repeated once in float64 when the
   * matrix functions offer it, with one warning. Failing means throwing (the engine reports
   * non-convergence, for example) or returning NaN or infinite values without throwing, which
   * some solvers do on the same inputs; the float64 result is returned as it is.
   */
  private EigenPairs eigh(NDArray spd) {
    EigenPairs pairs;
    try {
      pairs = functions.eigh(spd);
    } catch (EngineException e) {
      if (wider == null) {
        throw e;
      }
      LOG.warn("float32 eigh of a {} matrix failed ({}); retrying in float64", spd.getShape(),
          SolverErrors.oneLine(e));
      return wider.eigh(spd);
    }
    if (wider == null || isFinite(pairs)) {
      return pairs;
    }
    LOG.warn("float32 eigh of a {} matrix returned non-finite values; retrying in float64",
        spd.getShape());
    return wider.eigh(spd);
  }

  /** Whether every eigenvalue and eigenvector entry is finite (one scalar read: NaN and Inf
   * propagate through the sums). */
  private static boolean isFinite(EigenPairs pairs) {
    double check = pairs.values().sum().add(pairs.vectors().abs().sum())
        .toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
    return Double.isFinite(check);
  }

  @Override
  public String toString() {
    return "EighInverseRoot[relativeFloor=" + relativeFloor + "]";
  }
}
