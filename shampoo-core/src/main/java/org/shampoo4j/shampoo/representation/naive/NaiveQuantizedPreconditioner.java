package org.shampoo4j.shampoo.representation.naive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Optional;
import org.shampoo4j.linalg.OfficialComputePower;
import org.shampoo4j.quant.Layout;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.shampoo.bank.EighRootSpec;
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
 * One statistic of {@link NaiveQuantizedRepresentation}: S and its inverse root, each held as an
 * off-diagonal-quantized {@link PackedNDArray} (fp32 diagonal). All work happens on the state's
 * device; temporaries live in a sub-manager closed before each method returns, and the stored
 * state is replaced only once the new one is complete and finite ({@link UpdateGuard}), so a
 * failure leaves the old state intact.
 */
final class NaiveQuantizedPreconditioner implements Preconditioner {
  private final int order;
  private final PreconditionerContext context;
  private final NDArrayQuantizer quantizer;
  private PackedNDArray statistic;
  private final QuantizedInverseRoot inverseRoot;
  /** Set for {@link NaiveRoot#OFFICIAL_SCHUR_NEWTON}, null for {@link NaiveRoot#SYMMETRIZED}. */
  private final OfficialComputePower officialRoot;
  private boolean closed;

  NaiveQuantizedPreconditioner(
      int order, PreconditionerContext context, NDArrayQuantizer q, NaiveRoot root) {
    this.order = order;
    this.context = context;
    this.quantizer = q;
    this.officialRoot = root == NaiveRoot.OFFICIAL_SCHUR_NEWTON
        ? new OfficialComputePower(context.epsilon()) : null;
    NDManager owner = context.manager();
    try (NDManager work = owner.newSubManager()) {
      NDArray eye = work.eye(order);
      this.statistic = quantizer.quantizeOffDiagonal(eye.mul(context.epsilon())).attach(owner);
    }
    this.inverseRoot = new QuantizedInverseRoot(order, quantizer, owner);
  }

  @Override
  public int order() {
    return order;
  }

  /** {@code S ← Q(β·D(S̄) + (1−β)·gram)}. */
  @Override
  public void accumulate(NDArray gram) {
    requireOpen();
    context.requireGram(gram, order);
    float beta = context.beta();
    NDManager owner = context.manager();
    PackedNDArray updated;
    try (NDManager work = owner.newSubManager()) {
      // Results of ops on gram land in gram's manager: borrow it so they die with `work`.
      gram.tempAttach(work);
      NDArray s = quantizer.dequantize(statistic);
      s.attach(work);
      NDArray next = s.mul(beta).add(gram.toType(DataType.FLOAT32, false).mul(1f - beta));
      UpdateGuard.requireFinite(Kind.STATISTIC, context.label(), "the new statistic", next);
      updated = quantizer.quantizeOffDiagonal(next).attach(owner);
    }
    statistic.close();
    statistic = updated;
  }

  /**
   * One batched update for many quantized statistics of this quantizer, when the optimizer
   * provides the bank kernels and the statistic is stored quantized (not fp32 under the
   * quantizer's minimum size).
   */
  @Override
  public Optional<BatchedStatistics> batchedStatistics() {
    requireOpen();
    if (statistic.layout() != Layout.OFF_DIAGONAL) {
      return Optional.empty();
    }
    return context.bank().map(k -> new NaiveBatch(k, quantizer.spec(), context.beta()));
  }

  /** The stored statistic, for {@link NaiveBatch} (read only). */
  PackedNDArray statisticForBatch() {
    requireOpen();
    return statistic;
  }

  /** Stores a new statistic computed by {@link NaiveBatch}; its buffers move to this state. */
  void install(PackedNDArray next) {
    requireOpen();
    PackedNDArray attached = next.attach(context.manager());
    statistic.close();
    statistic = attached;
  }

  /**
   * One batched root refresh for many members of this quantizer, for {@link
   * NaiveRoot#SYMMETRIZED} with the scripted eigh root method ({@link EighRootSpec#of}) when the
   * optimizer provides the bank kernels and both the statistic and the root are stored quantized.
   */
  @Override
  public Optional<BatchedRoots> batchedRoots() {
    requireOpen();
    if (officialRoot != null || statistic.layout() != Layout.OFF_DIAGONAL
        || inverseRoot.packed().layout() != Layout.OFF_DIAGONAL) {
      return Optional.empty();
    }
    return context.bank().flatMap(k -> EighRootSpec.of(context)
        .map(spec -> new NaiveRootBatch(k, quantizer.spec(), spec)));
  }

  /** The stored root, for {@link NaiveRootBatch}. */
  QuantizedInverseRoot inverseRootForBatch() {
    requireOpen();
    return inverseRoot;
  }

  /** The context, for {@link NaiveBatch}'s checks and messages. */
  PreconditionerContext context() {
    return context;
  }

  /**
   * {@link NaiveRoot#SYMMETRIZED}: {@code L̂ ← Q((sym(D(S̄)) + eps·λmax·I)^(−1/p))}, with {@code
   * sym(X) = (X + Xᵀ)/2}, λmax estimated by the context's matrix functions on the device and the
   * ridge added to a copy of the dequantized statistic. If 4-bit rounding made S indefinite, the
   * root method's own eigenvalue handling decides the result (the naive baseline has no protection
   * against it, by design). {@link NaiveRoot#OFFICIAL_SCHUR_NEWTON}: {@code L̂ ←
   * Q(OfficialComputePower(D(S̄)))}, the statistic neither symmetrised nor clamped.
   */
  @Override
  public void refreshInverseRoot() {
    requireOpen();
    try (NDManager work = context.manager().newSubManager()) {
      NDArray s = quantizer.dequantize(statistic);
      s.attach(work);
      NDArray root = officialRoot != null
          ? UpdateGuard.solve(Kind.ROOT, context.label(), "the official root",
              () -> officialRoot.inverseRoot(s, context.rootExponent()))
          : ridgedRoot(s, work);
      root.attach(work);
      UpdateGuard.requireFinite(Kind.ROOT, context.label(), "the new inverse root", root);
      inverseRoot.replace(root);
    }
  }

  /** {@code (sym(S) + eps·λmax·I)^(−1/p)} by the context's root method. */
  private NDArray ridgedRoot(NDArray dequantized, NDManager work) {
    // Blocks run along rows, so S[i][j] and S[j][i] quantize differently: symmetrise, since
    // an inverse root is defined for a symmetric matrix (eigh would read one triangle only).
    NDArray s = dequantized.add(dequantized.transpose()).mul(0.5f);
    NDArray lambdaMax = context.linalg().maxEigenvalue(s);
    lambdaMax.attach(work);
    NDArray ridged = s.add(work.eye(order).mul(lambdaMax.mul(context.epsilon())));
    return UpdateGuard.solve(Kind.ROOT, context.label(), context.rootMethod().name(),
        () -> context.rootMethod().inverseRoot(ridged, context.rootExponent()));
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

  @Override
  public NDArray statistic(NDManager manager) {
    requireOpen();
    NDArray s = quantizer.dequantize(statistic);
    s.attach(manager);
    return s;
  }

  /** The packed statistic ({@code statistic.*}) and root ({@code root.*}) as stored. */
  @Override
  public StateSnapshot saveState() {
    requireOpen();
    StateSnapshot.Builder b = StateSnapshot.builder();
    PackedStates.save(b, "statistic", statistic);
    inverseRoot.saveState(b, "root");
    return b.build();
  }

  @Override
  public void restoreState(StateSnapshot snapshot) {
    requireOpen();
    NDManager owner = context.manager();
    try (NDManager scope = owner.newSubManager()) {
      StateSnapshot.Reader r = snapshot.reader(scope);
      PackedNDArray s = PackedStates.restore(r, "statistic", statistic);
      PackedNDArray root = inverseRoot.readState(r, "root");
      r.finish();
      // Swapped only once everything was read.
      statistic.close();
      statistic = s.attach(owner);
      inverseRoot.install(root);
    }
  }

  /** The packed buffers of S and of the inverse root (codes, scales, fp32 diagonals). */
  @Override
  public MemoryFootprint memory() {
    requireOpen();
    return statistic.memory().plus(inverseRoot.memory());
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      statistic.close();
      inverseRoot.close();
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("preconditioner " + context.label() + " is closed");
    }
  }
}
