package org.shampoo4j.shampoo.representation.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Optional;
import org.shampoo4j.linalg.Bjorck;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.Layout;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.shampoo.representation.BatchedRoots;
import org.shampoo4j.shampoo.representation.BatchedStatistics;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.QuantizedInverseRoot;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;
import org.shampoo4j.shampoo.representation.StepRoot;
import org.shampoo4j.shampoo.representation.UpdateGuard;
import org.shampoo4j.shampoo.state.PackedStates;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * One statistic of {@link EigenBjorckRepresentation} (docs/algorithms.md §3). Stored state: {@code V̄}, the
 * eigenvector matrix with eigenvectors as rows ({@code Uᵀ}), quantized dense (row-major blocks, so
 * blocks run along rows); the eigenvalues λ in fp32; the inverse root {@code L̂} quantized off the
 * diagonal with an fp32 diagonal.
 *
 * <p>All work happens on the state's device with matmuls and one QR; temporaries live in a
 * sub-manager closed before each method returns, and the stored state is swapped only once the new
 * one is complete and finite ({@link UpdateGuard}: one scalar read per update or refresh).
 */
final class EigenBjorckPreconditioner implements Preconditioner {
  private final int order;
  private final PreconditionerContext context;
  private final NDArrayQuantizer quantizer;
  private final int statisticBjorckSteps;
  private final int rootBjorckSteps;
  private PackedNDArray eigenvectors;
  private NDArray eigenvalues;
  private final QuantizedInverseRoot inverseRoot;
  private boolean closed;

  EigenBjorckPreconditioner(
      int order,
      PreconditionerContext context,
      NDArrayQuantizer quantizer,
      int statisticBjorckSteps,
      int rootBjorckSteps) {
    this.order = order;
    this.context = context;
    this.quantizer = quantizer;
    this.statisticBjorckSteps = statisticBjorckSteps;
    this.rootBjorckSteps = rootBjorckSteps;
    NDManager owner = context.manager();
    try (NDManager work = owner.newSubManager()) {
      NDArray eye = work.eye(order);
      // The identity quantizes exactly (each block's scale is 1 or 0 and ±1, 0 are codes).
      this.eigenvectors = quantizer.quantize(eye).attach(owner);
    }
    this.eigenvalues = owner.full(new Shape(order), context.epsilon(), DataType.FLOAT32);
    this.inverseRoot = new QuantizedInverseRoot(order, quantizer, owner);
  }

  @Override
  public int order() {
    return order;
  }

  /**
   * One warm-started subspace-iteration step on the updated statistic: {@code V ← Björck^t1(D(V̄))},
   * {@code A = β·Vᵀ·diag(λ)·V + (1−β)·gram}, {@code Q = qr(A·Vᵀ)}, {@code λ = diag(Qᵀ·A·Q)},
   * {@code V̄ = Q(Qᵀ)}.
   */
  @Override
  public void accumulate(NDArray gram) {
    requireOpen();
    context.requireGram(gram, order);
    float beta = context.beta();
    NDManager owner = context.manager();
    PackedNDArray nextVectors;
    NDArray nextValues;
    try (NDManager work = owner.newSubManager()) {
      // Ops on an array land in its manager: borrow the inputs so temporaries die with `work`.
      gram.tempAttach(work);
      eigenvalues.tempAttach(work);
      NDArray v = orthonormalized(work, statisticBjorckSteps);
      NDArray vt = v.transpose();
      NDArray a = vt.mul(eigenvalues.expandDims(0)).matMul(v)
          .mul(beta)
          .add(gram.toType(DataType.FLOAT32, false).mul(1f - beta));
      NDArray p = a.matMul(vt);
      NDArray q = UpdateGuard.solve(Kind.STATISTIC, context.label(), "QR",
          () -> context.linalg().qr(p));
      q.attach(work);
      // diag(Qᵀ·A·Q)_i = Σ_k Q_ki·(A·Q)_ki, without forming the n×n product Qᵀ·A·Q.
      nextValues = q.mul(a.matMul(q)).sum(new int[] {0});
      UpdateGuard.requireFinite(Kind.STATISTIC, context.label(),
          "the new eigenvectors or eigenvalues", q, nextValues);
      nextVectors = quantizer.quantize(q.transpose()).attach(owner);
      nextValues.attach(owner);
    }
    eigenvectors.close();
    eigenvectors = nextVectors;
    eigenvalues.close();
    eigenvalues = nextValues;
  }

  /**
   * One batched update for many members of this configuration, when the optimizer provides the
   * bank kernels, the eigenvectors are stored quantized (not fp32 under the quantizer's minimum
   * size) and the QR is the TorchScript module's (the bank runs that same QR; other matrix
   * functions, such as tests' fault injectors, keep the per-member path).
   */
  @Override
  public Optional<BatchedStatistics> batchedStatistics() {
    requireOpen();
    if (eigenvectors.layout() != Layout.DENSE
        || !(context.linalg() instanceof TorchScriptMatrixFunctions)) {
      return Optional.empty();
    }
    return context.bank().map(
        k -> new EigenBatch(k, quantizer.spec(), context.beta(), statisticBjorckSteps));
  }

  /**
   * One batched root refresh for many members of this configuration, when the optimizer provides
   * the bank kernels and both the eigenvectors and the root are stored quantized.
   */
  @Override
  public Optional<BatchedRoots> batchedRoots() {
    requireOpen();
    if (eigenvectors.layout() != Layout.DENSE
        || inverseRoot.packed().layout() != Layout.OFF_DIAGONAL) {
      return Optional.empty();
    }
    return context.bank().map(k -> new EigenRootBatch(
        k, quantizer.spec(), context.epsilon(), context.rootExponent(), rootBjorckSteps));
  }

  /** The stored root, for {@link EigenRootBatch}. */
  QuantizedInverseRoot inverseRootForBatch() {
    requireOpen();
    return inverseRoot;
  }

  /** The stored eigenvectors, for {@link EigenBatch} (read only). */
  PackedNDArray eigenvectorsForBatch() {
    requireOpen();
    return eigenvectors;
  }

  /** The stored eigenvalues, for {@link EigenBatch} (read only). */
  NDArray eigenvaluesForBatch() {
    requireOpen();
    return eigenvalues;
  }

  /** Stores a new statistic computed by {@link EigenBatch}; the arrays move to this state. */
  void install(PackedNDArray nextVectors, NDArray nextValues) {
    requireOpen();
    NDManager owner = context.manager();
    nextVectors.attach(owner);
    nextValues.attach(owner);
    eigenvectors.close();
    eigenvectors = nextVectors;
    eigenvalues.close();
    eigenvalues = nextValues;
  }

  /** The context, for {@link EigenBatch}'s checks and messages. */
  PreconditionerContext context() {
    return context;
  }

  /**
   * {@code V ← Björck^t2(D(V̄))}, {@code L̂ = Vᵀ·diag((λ₊ + eps·max λ₊)^(−1/p))·V}, stored
   * off-diagonal quantized. λ₊ clamps the eigenvalues at 0: the Rayleigh quotients of a PSD
   * matrix are non-negative but rounding can make tiny ones negative, which a negative fractional
   * power would turn into NaN. A floor of {@link Float#MIN_NORMAL} keeps an all-zero spectrum
   * finite.
   */
  @Override
  public void refreshInverseRoot() {
    requireOpen();
    try (NDManager work = context.manager().newSubManager()) {
      eigenvalues.tempAttach(work);
      NDArray v = orthonormalized(work, rootBjorckSteps);
      NDArray lambda = eigenvalues.maximum(0f);
      NDArray ridge = lambda.max().mul(context.epsilon());
      NDArray scaled = lambda.add(ridge).maximum(Float.MIN_NORMAL)
          .pow(-1f / context.rootExponent());
      NDArray root = v.transpose().mul(scaled.expandDims(0)).matMul(v);
      UpdateGuard.requireFinite(Kind.ROOT, context.label(), "the new inverse root", root);
      inverseRoot.replace(root);
    }
  }

  @Override
  public NDArray inverseRoot(NDManager manager) {
    requireOpen();
    return inverseRoot.dequantize(manager);
  }

  @Override
  public StepRoot stepRoot(NDManager manager) {
    requireOpen();
    return inverseRoot.stepRoot();
  }

  /**
   * The statistic the next update starts from: {@code Vᵀ·diag(λ)·V} with {@code V} the dequantized
   * eigenvectors after t1 Björck steps.
   */
  @Override
  public NDArray statistic(NDManager manager) {
    requireOpen();
    NDArray result;
    try (NDManager work = context.manager().newSubManager()) {
      eigenvalues.tempAttach(work);
      NDArray v = orthonormalized(work, statisticBjorckSteps);
      result = v.transpose().mul(eigenvalues.expandDims(0)).matMul(v);
      result.attach(manager);
    }
    return result;
  }

  /**
   * The packed eigenvectors ({@code vectors.*}), the fp32 {@code values} and the packed root
   * ({@code root.*}) as stored.
   */
  @Override
  public StateSnapshot saveState() {
    requireOpen();
    StateSnapshot.Builder b = StateSnapshot.builder();
    PackedStates.save(b, "vectors", eigenvectors);
    b.array("values", eigenvalues);
    inverseRoot.saveState(b, "root");
    return b.build();
  }

  @Override
  public void restoreState(StateSnapshot snapshot) {
    requireOpen();
    NDManager owner = context.manager();
    try (NDManager scope = owner.newSubManager()) {
      StateSnapshot.Reader r = snapshot.reader(scope);
      PackedNDArray vectors = PackedStates.restore(r, "vectors", eigenvectors);
      NDArray values = r.array("values", eigenvalues);
      PackedNDArray root = inverseRoot.readState(r, "root");
      r.finish();
      // Swapped only once everything was read.
      eigenvectors.close();
      eigenvectors = vectors.attach(owner);
      values.attach(owner);
      eigenvalues.close();
      eigenvalues = values;
      inverseRoot.install(root);
    }
  }

  /** The packed eigenvectors, the fp32 eigenvalues and the packed inverse root. */
  @Override
  public MemoryFootprint memory() {
    requireOpen();
    long eigenvalueBytes = eigenvalues.size() * eigenvalues.getDataType().getNumOfBytes();
    return eigenvectors.memory()
        .plus(new MemoryFootprint(0, 0, eigenvalueBytes))
        .plus(inverseRoot.memory());
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      eigenvectors.close();
      eigenvalues.close();
      inverseRoot.close();
    }
  }

  /** {@code D(V̄)} followed by {@code steps} Björck steps, attached to {@code work}. */
  private NDArray orthonormalized(NDManager work, int steps) {
    NDArray v = quantizer.dequantize(eigenvectors);
    v.attach(work);
    if (steps == 0) {
      return v;
    }
    NDArray corrected = Bjorck.orthonormalize(v, steps);
    corrected.attach(work);
    return corrected;
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("preconditioner " + context.label() + " is closed");
    }
  }
}
