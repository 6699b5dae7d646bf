package org.shampoo4j.cholesky;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.shampoo4j.linalg.MatrixFunctions;
import org.shampoo4j.linalg.NotPositiveDefiniteException;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.Layout;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.bank.EighRootSpec;
import org.shampoo4j.shampoo.bank.PackedFactor;
import org.shampoo4j.shampoo.representation.BatchedRoots;
import org.shampoo4j.shampoo.representation.BatchedStatistics;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.QuantizedInverseRoot;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;
import org.shampoo4j.shampoo.representation.StepRoot;
import org.shampoo4j.shampoo.representation.UpdateGuard;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * One statistic held as a quantized Cholesky factor with error feedback (docs/algorithms.md §6).
 *
 * <p>State: the factor's fp32 diagonal d, its strictly-lower entries as codes and (with error
 * feedback) the error state's strictly-lower entries as codes in the strictly-upper half of the
 * same code matrix, with separate block scales (see {@link FactorCodec}); plus the inverse root,
 * either 4-bit off-diagonal with an fp32 diagonal (docs/algorithms.md §3) or, with {@link
 * CholeskyEfConfig#rootAsCholesky()}, its own quantized Cholesky factor. Orders whose n×n matrix
 * has fewer than {@link PreconditionerContext#minQuantizedElements()} elements keep the factor in
 * fp32 (lossless, no error state). Start: factor {@code √eps·I}, E = 0, root I.
 *
 * <p>{@link #accumulate}: {@code C̃ = D(codes) + diag(d)}, {@code L = β·C̃C̃ᵀ + (1−β)·gram},
 * {@code C = chol(L + r·I)} with {@code r = eps·λmax(L)} (the ridge enters the stored factor, docs/algorithms.md
 * §6 choice). With error feedback {@code X = C + E} on the strictly-lower part, codes = Q(X),
 * {@code E ← βe·E + (1−βe)·(X − D(Q(X)))}, itself quantized; without, codes = Q(C). A failed
 * factorisation is retried with the ridge multiplied by {@link CholeskyEfConfig#ridgeGrowth()}
 * up to {@link CholeskyEfConfig#maxRetries()} times; then the previous state is kept, counted in
 * {@link #rejectedUpdates()} and a {@link RejectedUpdateException} tells the optimizer. A factor
 * with a NaN or infinity is treated as a failure too. The ridge has an absolute floor of {@link
 * Float#MIN_NORMAL}, so that a statistic decayed to zero by all-zero gradients still factors. A
 * root refresh that fails keeps the previous root likewise ({@link #rejectedRefreshes()}).
 *
 * <p>Host synchronisation: {@link MatrixFunctions#cholesky} reads its status on the host, and
 * this class reads one finiteness flag per factorisation and per root refresh; both happen every
 * T1 or T2 steps, never in {@link #inverseRoot}, which the optimizer calls every step. Through
 * the bank ({@link #batchedStatistics}, {@link #batchedRoots}) all members of a parameter share
 * one read per T1 or T2 step instead (a factorisation that needs a larger ridge adds the
 * per-member path's reads).
 *
 * <p>Quantization runs on the context's {@link PreconditionerContext#codeKernels() kernels} (the
 * optimizer's, one per device); a context without them (one built by hand) gets kernels this
 * preconditioner loads and closes.
 */
public final class CholeskyEfPreconditioner implements Preconditioner {
  private final int order;
  private final PreconditionerContext context;
  private final CholeskyEfConfig config;
  private final NDManager state;
  private final FactorCodec codec;
  private final QuantizationSpec spec;
  private final FactorCodec rootCodec;
  // Kernels this preconditioner loaded because the context had none; null when they are the
  // context's (whose owner closes them).
  private final CodeKernels ownKernels;
  private StoredFactor factor;
  // The root in docs/algorithms.md §3's form; null with rootAsCholesky, which keeps rootFactor.
  private final QuantizedInverseRoot storedRoot;
  private StoredFactor rootFactor;
  private long rejectedUpdates;
  private long rejectedRefreshes;
  private long retries;

  /**
   * A fresh preconditioner (statistic {@code eps·I}, root I).
   *
   * @param order n, at least 1
   * @param context hyper-parameters, math routines and the owning manager
   * @param map the quantization map of the codes
   * @param config the Cholesky settings
   */
  public CholeskyEfPreconditioner(
      int order, PreconditionerContext context, QuantizationMap map, CholeskyEfConfig config) {
    if (order < 1) {
      throw new IllegalArgumentException("order must be positive, got " + order);
    }
    this.order = order;
    this.context = Objects.requireNonNull(context, "context");
    this.config = Objects.requireNonNull(config, "config");
    Objects.requireNonNull(map, "map");
    QuantizationSpec spec = context.quantizationSpec(map);
    this.spec = spec;
    boolean quantized = order >= 2 && spec.quantizes((long) order * order);
    StoredFactor.Form form;
    if (!quantized) {
      form = StoredFactor.Form.FP32;
    } else if (config.errorFeedback()) {
      form = StoredFactor.Form.ERROR_FEEDBACK;
    } else {
      form = StoredFactor.Form.QUANTIZED;
    }
    this.state = context.manager().newSubManager();
    this.ownKernels = context.codeKernels().isPresent() ? null : new CodeKernels(state);
    CodeKernels kernels = context.codeKernels().orElse(ownKernels);
    this.codec = new FactorCodec(order, form, spec, kernels);
    this.rootCodec = new FactorCodec(
        order, quantized ? StoredFactor.Form.QUANTIZED : StoredFactor.Form.FP32, spec, kernels);
    // The optimizer validated the gradients, so the root needs no host-side finiteness check.
    this.storedRoot = config.rootAsCholesky() ? null
        : new QuantizedInverseRoot(order, new NDArrayQuantizer(spec, false, kernels), state);
    try (NDManager scope = state.newSubManager()) {
      NDArray zeros = scope.zeros(new Shape(codec.layout().pairs()));
      NDArray sqrtEps = scope.ones(new Shape(order)).mul((float) Math.sqrt(context.epsilon()));
      FactorCodec.Quantized zero = codec.quantize(zeros);
      this.factor = codec.store(zero, zero, sqrtEps).attach(state);
      if (storedRoot == null) {
        storeRoot(scope.eye(order));
      }
    }
  }

  @Override
  public int order() {
    return order;
  }

  /** The settings this preconditioner runs with. */
  public CholeskyEfConfig config() {
    return config;
  }

  @Override
  public void accumulate(NDArray gram) {
    requireSquare(gram, "gram");
    MatrixFunctions linalg = context.linalg();
    float beta = context.beta();
    StoredFactor next;
    try (NDManager scope = state.newSubManager()) {
      gram.tempAttach(scope);
      factor.tempAttach(scope);
      NDArray previous = codec.factorMatrix(factor);
      NDArray statistic = previous.matMul(previous.transpose()).mul(beta)
          .add(gram.toType(DataType.FLOAT32, false).mul(1f - beta));
      NDArray chol = factorWithRidge(linalg, statistic, scope);
      if (chol == null) {
        rejectedUpdates++;
        throw new RejectedUpdateException(Kind.STATISTIC, context.label(), "no finite Cholesky "
            + "factor after " + config.maxRetries() + " retries with a growing ridge", null);
      }
      NDArray lower = codec.layout().strictLower(chol);
      NDArray diagonal = chol.diagonal();
      if (codec.form() == StoredFactor.Form.ERROR_FEEDBACK) {
        NDArray error = codec.errorLower(factor);
        NDArray target = lower.add(error);
        FactorCodec.Quantized codes = codec.quantize(target);
        NDArray residual = target.sub(codes.values());
        float betaE = config.betaE();
        NDArray nextError = betaE == 0f ? residual : error.mul(betaE).add(residual.mul(1f - betaE));
        next = codec.store(codes, codec.quantize(nextError), diagonal);
      } else {
        next = codec.store(codec.quantize(lower), null, diagonal);
      }
      next.attach(state);
    }
    // Closed only after the scope returned the lent buffers to the state manager.
    factor.close();
    factor = next;
  }

  /**
   * {@code chol(statistic + r·I)}, raising r by the growth factor after each failure; null when
   * every attempt failed or the factor is not finite.
   */
  private NDArray factorWithRidge(MatrixFunctions linalg, NDArray matrix, NDManager scope) {
    NDArray identity = scope.eye(order);
    // The floor keeps a statistic that decayed to zero (many all-zero gradients) factorable.
    NDArray ridge = linalg.maxEigenvalue(matrix).mul(context.epsilon()).maximum(Float.MIN_NORMAL);
    for (int attempt = 0; attempt <= config.maxRetries(); attempt++) {
      if (attempt > 0) {
        retries++;
        ridge = ridge.mul(config.ridgeGrowth());
      }
      NDArray chol;
      try {
        chol = linalg.cholesky(matrix.add(identity.mul(ridge)));
      } catch (NotPositiveDefiniteException | EngineException e) {
        continue;
      }
      // A NaN that slipped through the solver's check must not enter the state.
      if (isFinite(chol)) {
        return chol;
      }
    }
    return null;
  }

  @Override
  public void refreshInverseRoot() {
    try (NDManager scope = state.newSubManager()) {
      factor.tempAttach(scope);
      NDArray c = codec.factorMatrix(factor);
      NDArray statistic = c.matMul(c.transpose());
      NDArray ridge = context.linalg().maxEigenvalue(statistic).mul(context.epsilon());
      NDArray ridged = statistic.add(scope.eye(order).mul(ridge));
      NDArray root;
      try {
        root = UpdateGuard.solve(Kind.ROOT, context.label(), context.rootMethod().name(),
            () -> context.rootMethod().inverseRoot(ridged, context.rootExponent()));
        root.attach(scope);
        UpdateGuard.requireFinite(Kind.ROOT, context.label(), "the new inverse root", root);
      } catch (RejectedUpdateException e) {
        rejectedRefreshes++;
        throw e;
      }
      if (!storeRoot(root)) {
        rejectedRefreshes++;
        throw new RejectedUpdateException(Kind.ROOT, context.label(), "the inverse root has no "
            + "finite Cholesky factor", null);
      }
    }
  }

  /**
   * One batched statistic update for many members ({@link CholeskyStatisticBatch}), when the
   * optimizer provides the bank kernels and the matrix functions are the TorchScript module's (the
   * bank runs that same λmax and Cholesky; other matrix functions, such as tests' fault
   * injectors, keep the per-member path). Members of any order and form share a batch when their
   * quantization and update settings agree.
   */
  @Override
  public Optional<BatchedStatistics> batchedStatistics() {
    if (!(context.linalg() instanceof TorchScriptMatrixFunctions lambda)) {
      return Optional.empty();
    }
    return context.bank().map(k -> new CholeskyStatisticBatch(k, spec, lambda.powerIterations(),
        context.beta(), context.epsilon(), config.betaE()));
  }

  /**
   * Checks a Gram matrix for {@link CholeskyStatisticBatch}.
   *
   * @throws IllegalArgumentException if {@code gram} is not n×n
   */
  void requireGramForBatch(NDArray gram) {
    requireSquare(gram, "gram");
  }

  /** The stored factor as the batches pass it to the bank (read only). */
  PackedFactor factorForBatch() {
    PackedFactor.Form form = switch (factor.form()) {
      case FP32 -> PackedFactor.Form.FP32;
      case QUANTIZED -> PackedFactor.Form.QUANTIZED;
      case ERROR_FEEDBACK -> PackedFactor.Form.ERROR_FEEDBACK;
    };
    return new PackedFactor(form, factor.diagonal(), factor.codes(), factor.factorScales(),
        factor.errorScales(), factor.fp32Lower());
  }

  /**
   * Stores the factor computed by {@link CholeskyStatisticBatch} (diagonal, codes, factor scales,
   * error scales, fp32 strictly-lower entries, in this factor's form); the buffers move to this
   * state.
   */
  void installFactorForBatch(List<NDArray> parts) {
    StoredFactor next = new StoredFactor(codec.form(), parts.get(0), parts.get(1), parts.get(2),
        parts.get(3), parts.get(4));
    codec.requireFits(next);
    next.attach(state);
    factor.close();
    factor = next;
  }

  /**
   * One batched root refresh for many members of this quantizer ({@link CholeskyRootBatch}), when
   * the optimizer provides the bank kernels, the root is stored 4-bit off-diagonal (not as a
   * Cholesky factor, not fp32) and the root method is the scripted eigh ({@link
   * EighRootSpec#of}).
   */
  @Override
  public Optional<BatchedRoots> batchedRoots() {
    if (storedRoot == null || storedRoot.packed().layout() != Layout.OFF_DIAGONAL) {
      return Optional.empty();
    }
    return context.bank().flatMap(k -> EighRootSpec.of(context)
        .map(s -> new CholeskyRootBatch(k, spec, s)));
  }

  /** The state manager, under which {@link CholeskyStatisticBatch} opens its scope. */
  NDManager stateForBatch() {
    return state;
  }

  /** The row length of the stored root's quantization grid. */
  long rootRowLengthForBatch() {
    return storedRoot.packed().grid().rowLength();
  }

  /** Stores a root quantized by {@link CholeskyRootBatch}; its buffers move to this state. */
  void installRootForBatch(NDArray codes, NDArray scales, NDArray diagonal) {
    storedRoot.install(storedRoot.packed().withBuffers(codes, scales, diagonal));
  }

  /** Counts a refresh {@link CholeskyRootBatch} rejected and returns its exception. */
  RejectedUpdateException rejectRefreshForBatch(String why) {
    rejectedRefreshes++;
    return new RejectedUpdateException(Kind.ROOT, context.label(), why, null);
  }

  /** Replaces the stored root by {@code root} (in a scope); false if that was impossible. */
  private boolean storeRoot(NDArray root) {
    NDManager scope = root.getManager();
    if (storedRoot != null) {
      storedRoot.replace(root);
      return true;
    }
    // The root is SPD with condition number cond(L)^(1/p), so its factorisation rarely needs
    // a ridge; the retry path is the statistic's.
    NDArray chol = factorWithRidge(context.linalg(), root, scope);
    if (chol == null) {
      return false;
    }
    StoredFactor stored = rootCodec.store(
        rootCodec.quantize(rootCodec.layout().strictLower(chol)), null, chol.diagonal());
    stored.attach(state);
    if (rootFactor != null) {
      rootFactor.close();
    }
    rootFactor = stored;
    return true;
  }

  /** The stored 4-bit root packed as stored; before the first refresh the dense product. */
  @Override
  public StepRoot stepRoot(NDManager manager) {
    return storedRoot != null ? storedRoot.stepRoot() : new StepRoot.Dense(inverseRoot(manager));
  }

  @Override
  public NDArray inverseRoot(NDManager manager) {
    try (NDManager scope = state.newSubManager()) {
      if (storedRoot != null) {
        NDArray root = storedRoot.dequantize(scope);
        root.attach(manager);
        return root;
      }
      rootFactor.tempAttach(scope);
      NDArray c = rootCodec.factorMatrix(rootFactor);
      NDArray root = c.matMul(c.transpose());
      root.attach(manager);
      return root;
    }
  }

  @Override
  public NDArray statistic(NDManager manager) {
    try (NDManager scope = state.newSubManager()) {
      NDArray c = factor(scope);
      NDArray s = c.matMul(c.transpose());
      s.attach(manager);
      return s;
    }
  }

  /** The rebuilt lower-triangular factor {@code C̃} as a new array attached to {@code manager}. */
  public NDArray factor(NDManager manager) {
    try (NDManager scope = state.newSubManager()) {
      factor.tempAttach(scope);
      NDArray c = codec.factorMatrix(factor);
      c.attach(manager);
      return c;
    }
  }

  /**
   * The dequantized error state E as a strictly-lower n×n matrix attached to {@code manager}; all
   * zeros without error feedback or for fp32 (lossless) orders.
   */
  public NDArray error(NDManager manager) {
    try (NDManager scope = state.newSubManager()) {
      factor.tempAttach(scope);
      NDArray e = codec.layout().lowerMatrix(codec.errorLower(factor));
      e.attach(manager);
      return e;
    }
  }

  /** Whether the factor is held quantized (false for small orders, which stay fp32). */
  public boolean quantized() {
    return codec.form() != StoredFactor.Form.FP32;
  }

  @Override
  public long rejectedUpdates() {
    return rejectedUpdates;
  }

  /** Root refreshes whose result was not finite (or not factorable); the previous root was kept. */
  public long rejectedRefreshes() {
    return rejectedRefreshes;
  }

  /** Factorisations retried with a larger ridge, over the preconditioner's life. */
  public long retries() {
    return retries;
  }

  /** Bytes of the stored factor alone: code matrix, its scales and the fp32 diagonal. */
  public MemoryFootprint factorMemory() {
    return factor.memory();
  }

  @Override
  public MemoryFootprint memory() {
    MemoryFootprint root = storedRoot != null ? storedRoot.memory() : rootFactor.memory();
    return factor.memory().plus(root);
  }

  /**
   * The factor ({@code factor.*}), the root ({@code root.*} in docs/algorithms.md §3's form, or {@code
   * rootFactor.*} as a Cholesky factor), and the counters {@code rejectedUpdates}, {@code
   * rejectedRefreshes} and {@code retries}.
   */
  @Override
  public StateSnapshot saveState() {
    StateSnapshot.Builder b = StateSnapshot.builder();
    factor.saveState(b, "factor");
    if (storedRoot != null) {
      storedRoot.saveState(b, "root");
    } else {
      rootFactor.saveState(b, "rootFactor");
    }
    return b.counter("rejectedUpdates", rejectedUpdates)
        .counter("rejectedRefreshes", rejectedRefreshes)
        .counter("retries", retries)
        .build();
  }

  @Override
  public void restoreState(StateSnapshot snapshot) {
    try (NDManager scope = state.newSubManager()) {
      StateSnapshot.Reader r = snapshot.reader(scope);
      StoredFactor nextFactor = factor.readState(r, "factor");
      PackedNDArray nextRoot = storedRoot != null ? storedRoot.readState(r, "root") : null;
      StoredFactor nextRootFactor = rootFactor != null ? rootFactor.readState(r, "rootFactor") : null;
      long nextRejectedUpdates = r.counter("rejectedUpdates", 0, Long.MAX_VALUE);
      long nextRejectedRefreshes = r.counter("rejectedRefreshes", 0, Long.MAX_VALUE);
      long nextRetries = r.counter("retries", 0, Long.MAX_VALUE);
      r.finish();
      // Swapped only once everything was read.
      factor.close();
      factor = nextFactor.attach(state);
      if (nextRoot != null) {
        storedRoot.install(nextRoot);
      }
      if (nextRootFactor != null) {
        rootFactor.close();
        rootFactor = nextRootFactor.attach(state);
      }
      rejectedUpdates = nextRejectedUpdates;
      rejectedRefreshes = nextRejectedRefreshes;
      retries = nextRetries;
    }
  }

  /** The stored factor's buffers, for tests in this package. */
  StoredFactor storedFactor() {
    return factor;
  }

  /** The codec of the factor, for tests in this package. */
  FactorCodec codec() {
    return codec;
  }

  @Override
  public void close() {
    if (ownKernels != null) {
      ownKernels.close();
    }
    state.close();
  }

  private static boolean isFinite(NDArray a) {
    return !a.isNaN().logicalOr(a.isInfinite()).any().getBoolean();
  }

  private void requireSquare(NDArray a, String name) {
    Objects.requireNonNull(a, name);
    Shape s = a.getShape();
    if (s.dimension() != 2 || s.get(0) != order || s.get(1) != order) {
      throw new IllegalArgumentException(
          context.label() + ": " + name + " must be " + order + "×" + order + ", got " + s);
    }
  }
}
