package org.shampoo4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.util.Optional;
import org.shampoo4j.quant.TorchScriptModules;

/**
 * {@link MatrixFunctions} backed by libtorch's {@code torch.linalg}, reached through a tiny
 * TorchScript module (the classpath resource {@value #MODULE_RESOURCE}, made by {@code
 * shampoo-core/scripts/make_linalg_module.py}) that DJL's PyTorch engine runs on the input's own
 * device.
 *
 * <ul>
 *   <li>{@link #eigh}: {@code torch.linalg.eigh} on the lower triangle, solved in the {@link
 *       EighPrecision} chosen at construction (float64 by default: see LINALG.md; results are
 *       float32 either way).
 *   <li>{@link #qr}: {@code torch.linalg.qr} (reduced), columns of Q negated where {@code R_ii <
 *       0}, so {@code diag(R) >= 0}.
 *   <li>{@link #cholesky}: {@code torch.linalg.cholesky_ex}; its {@code info} is read on the host
 *       (one synchronisation per call, acceptable because Shampoo factors only every T1 steps).
 *   <li>{@link #maxEigenvalue}: {@link #powerIterations()} power iterations with matmul only, from
 *       the deterministic start vector {@code 1/√n·(1,…,1)}, returning the Rayleigh quotient
 *       {@code vᵀAv} (a lower bound of λmax for a symmetric matrix), as a device scalar.
 * </ul>
 *
 * <p>The module holds no tensors and names no device, so one instance serves arrays on any
 * device; each instance loads its own copy (no shared static state). Close it (or the manager
 * given to the constructor) to free the native module.
 */
public final class TorchScriptMatrixFunctions implements MatrixFunctions, AutoCloseable {
  /** Classpath resource (relative to this class) holding the scripted module. */
  public static final String MODULE_RESOURCE = "linalg.pt";

  /**
   * Default power iterations for {@link #maxEigenvalue}: the Rayleigh quotient's relative error
   * shrinks like {@code (λ2/λ1)^(2k)}, so 32 steps give well under 1 % for any gap above ~7 %,
   * and a few percent low when the top eigenvalues nearly tie (harmless for a ridge or for
   * scaling a Newton iteration, which needs only an estimate above λmax/2).
   */
  public static final int DEFAULT_POWER_ITERATIONS = 32;

  /**
   * Default eigensolver precision: float64, because a float32 solve loses the small eigenvalues
   * that dominate {@code A^(-1/4)} (NRE 1–2 % instead of ~1e-3 at condition 1e6; LINALG.md).
   */
  public static final EighPrecision DEFAULT_EIGH_PRECISION = EighPrecision.FLOAT64;

  private final PtSymbolBlock module;
  private final int powerIterations;
  private final EighPrecision eighPrecision;
  /** Whether this instance loaded the module (and frees it), or borrows its owner's. */
  private final boolean ownsModule;

  /**
   * Loads the module with {@link #DEFAULT_POWER_ITERATIONS} and {@link #DEFAULT_EIGH_PRECISION}.
   *
   * @param manager a PyTorch-engine manager that owns the loaded module (closing it frees it)
   * @throws IllegalArgumentException if the manager is not of DJL's PyTorch engine
   * @throws IllegalStateException if the module resource is missing from the classpath
   */
  public TorchScriptMatrixFunctions(NDManager manager) {
    this(manager, DEFAULT_POWER_ITERATIONS);
  }

  /**
   * Loads the module with {@link #DEFAULT_EIGH_PRECISION}.
   *
   * @param manager a PyTorch-engine manager that owns the loaded module (closing it frees it)
   * @param powerIterations power iterations used by {@link #maxEigenvalue}, at least 1
   * @throws IllegalArgumentException if the manager is not of DJL's PyTorch engine or {@code
   *     powerIterations < 1}
   * @throws IllegalStateException if the module resource is missing from the classpath
   */
  public TorchScriptMatrixFunctions(NDManager manager, int powerIterations) {
    this(manager, powerIterations, DEFAULT_EIGH_PRECISION);
  }

  /**
   * Loads the module.
   *
   * @param manager a PyTorch-engine manager that owns the loaded module (closing it frees it)
   * @param powerIterations power iterations used by {@link #maxEigenvalue}, at least 1
   * @param eighPrecision arithmetic of {@link #eigh} (results are float32 either way)
   * @throws IllegalArgumentException if the manager is not of DJL's PyTorch engine, {@code
   *     powerIterations < 1} or {@code eighPrecision} is null
   * @throws IllegalStateException if the module resource is missing from the classpath
   */
  public TorchScriptMatrixFunctions(
      NDManager manager, int powerIterations, EighPrecision eighPrecision) {
    if (eighPrecision == null) {
      throw new IllegalArgumentException("eighPrecision must not be null");
    }
    this.eighPrecision = eighPrecision;
    if (powerIterations < 1) {
      throw new IllegalArgumentException("powerIterations must be >= 1, got " + powerIterations);
    }
    PtNDManager pt = ptManager(manager, "manager");
    this.powerIterations = powerIterations;
    this.module =
        TorchScriptModules.load(pt, TorchScriptMatrixFunctions.class, MODULE_RESOURCE);
    this.ownsModule = true;
  }

  /** A view of {@code owner}'s module with another eigh precision; it never frees the module. */
  private TorchScriptMatrixFunctions(TorchScriptMatrixFunctions owner, EighPrecision precision) {
    this.module = owner.module;
    this.powerIterations = owner.powerIterations;
    this.eighPrecision = precision;
    this.ownsModule = false;
  }

  /**
   * With {@link EighPrecision#FLOAT32}: a view of this instance solving eigh in float64, sharing
   * the loaded module (closing the view frees nothing); with float64, empty.
   */
  @Override
  public Optional<MatrixFunctions> wider() {
    return eighPrecision == EighPrecision.FLOAT64
        ? Optional.empty()
        : Optional.of(new TorchScriptMatrixFunctions(this, EighPrecision.FLOAT64));
  }

  /** Arithmetic precision of {@link #eigh}. */
  public EighPrecision eighPrecision() {
    return eighPrecision;
  }

  /** Power iterations used by {@link #maxEigenvalue}. */
  public int powerIterations() {
    return powerIterations;
  }

  @Override
  public EigenPairs eigh(NDArray symmetric) {
    MatrixChecks.requireSquareFloat(symmetric, "symmetric");
    String method = eighPrecision == EighPrecision.FLOAT64 ? "eigh64" : "eigh";
    PtNDArray[] out = runList(method, requirePt(symmetric, "symmetric"));
    return new EigenPairs(out[0], out[1]);
  }

  @Override
  public NDArray qr(NDArray a) {
    MatrixChecks.requireTallFloat(a, "a");
    PtNDManager target = ptManager(a.getManager(), "a's manager");
    try (IValue in = IValue.from(requirePt(a, "a"));
        IValue result = TorchScriptModules.run(module, "qr", in)) {
      return result.toTensor(target);
    }
  }

  @Override
  public NDArray cholesky(NDArray spd) {
    MatrixChecks.requireSquareFloat(spd, "spd");
    PtNDArray[] out = runList("cholesky", requirePt(spd, "spd"));
    int info;
    try (NDArray infoArray = out[1]) {
      info = infoArray.toType(DataType.INT32, false).getInt();
    }
    if (info != 0) {
      out[0].close();
      throw new NotPositiveDefiniteException(
          "Cholesky of a "
              + spd.getShape()
              + " matrix failed: the leading minor of order "
              + info
              + " is not positive definite");
    }
    return out[0];
  }

  @Override
  public NDArray maxEigenvalue(NDArray psd) {
    MatrixChecks.requireSquareFloat(psd, "psd");
    // One call: the iteration below, operator for operator, runs inside the module. It iterates
    // on A / max|A_ij|: for a PSD matrix that entry is its largest diagonal one, at most λmax, so
    // ‖A·v‖ stays near λmax(A/s) >= 1. Unscaled, a statistic of magnitude 1e-25 (all-zero
    // gradients decay it there) has ‖A·v‖² below float32's range, the normalisation blows v up,
    // and the estimate came out orders of magnitude too large. A tiny floor on ‖A·v‖ keeps the
    // zero matrix at v = 0 (estimate 0) instead of NaN.
    PtNDManager target = ptManager(psd.getManager(), "psd's manager");
    try (IValue in = IValue.from(requirePt(psd, "psd"));
        IValue iterations = IValue.from((long) powerIterations);
        IValue floor = IValue.from((double) Float.MIN_NORMAL);
        IValue result = TorchScriptModules.run(module, "max_eigenvalue", in, iterations, floor)) {
      return result.toTensor(target);
    }
  }

  /** Frees the native module (idempotent; a {@link #wider()} view frees nothing). */
  @Override
  public void close() {
    if (ownsModule) {
      module.close();
    }
  }

  private PtNDArray[] runList(String method, PtNDArray input) {
    PtNDManager target = ptManager(input.getManager(), "input's manager");
    try (IValue in = IValue.from(input);
        IValue result = TorchScriptModules.run(module, method, in)) {
      return result.toTensorArray(target);
    }
  }

  private static PtNDManager ptManager(NDManager manager, String what) {
    if (!(manager instanceof PtNDManager pt)) {
      throw new IllegalArgumentException(
          what
              + " must belong to DJL's PyTorch engine, got "
              + (manager == null ? "null" : manager.getEngine().getEngineName()));
    }
    return pt;
  }

  private static PtNDArray requirePt(NDArray a, String name) {
    if (!(a instanceof PtNDArray pt)) {
      throw new IllegalArgumentException(
          name + " must be a PyTorch-engine array, got " + a.getClass().getName());
    }
    return pt;
  }
}
