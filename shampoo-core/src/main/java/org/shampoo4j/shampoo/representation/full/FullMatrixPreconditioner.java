package org.shampoo4j.shampoo.representation.full;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Optional;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.bank.EighRootSpec;
import org.shampoo4j.shampoo.representation.BatchedRoots;
import org.shampoo4j.shampoo.representation.BatchedStatistics;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;
import org.shampoo4j.shampoo.representation.UpdateGuard;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * One fp32 statistic S (starting at eps·I) and its inverse root (starting at I), both dense n×n
 * on the context's device. The root is allocated from the start so that the memory report shows
 * the 32-bit baseline's real footprint of 2·n² floats.
 */
final class FullMatrixPreconditioner implements Preconditioner {
  private final int order;
  private final PreconditionerContext context;
  private final NDManager manager;
  private NDArray statistic;
  private NDArray root;
  private boolean closed;

  FullMatrixPreconditioner(int order, PreconditionerContext context) {
    this.order = order;
    this.context = context;
    // A sub-manager so that close() frees exactly this preconditioner's arrays.
    this.manager = context.manager().newSubManager();
    this.statistic = manager.eye(order).muli(context.epsilon());
    this.root = manager.eye(order);
  }

  @Override
  public int order() {
    return order;
  }

  @Override
  public void accumulate(NDArray gram) {
    requireOpen();
    context.requireGram(gram, order);
    float beta = context.beta();
    NDArray next;
    try (NDManager scratch = manager.newSubManager()) {
      gram.tempAttach(scratch);
      statistic.tempAttach(scratch);
      NDArray g = gram.getDataType() == DataType.FLOAT32 ? gram : gram.toType(DataType.FLOAT32, false);
      next = statistic.mul(beta).add(g.mul(1f - beta));
      UpdateGuard.requireFinite(Kind.STATISTIC, context.label(), "the new statistic", next);
      next.attach(manager);
    }
    NDArray old = statistic;
    statistic = next;
    old.close();
  }

  /** One batched EMA for many fp32 statistics, when the optimizer provides the bank kernels. */
  @Override
  public Optional<BatchedStatistics> batchedStatistics() {
    return context.bank().map(k -> new FullMatrixBatch(k, context.beta()));
  }

  /** The stored statistic, for {@link FullMatrixBatch} (read only). */
  NDArray statisticForBatch() {
    requireOpen();
    return statistic;
  }

  /** Stores a new statistic computed by {@link FullMatrixBatch}; it moves to this state. */
  void install(NDArray next) {
    requireOpen();
    next.attach(manager);
    NDArray old = statistic;
    statistic = next;
    old.close();
  }

  /**
   * One batched root refresh for many members of this context, when the optimizer provides the
   * bank kernels and the root method is the scripted eigh ({@link EighRootSpec#of}).
   */
  @Override
  public Optional<BatchedRoots> batchedRoots() {
    requireOpen();
    return context.bank().flatMap(k -> EighRootSpec.of(context)
        .map(spec -> new FullRootBatch(k, spec)));
  }

  /** Stores a new root computed by {@link FullRootBatch}; it moves to this state. */
  void installRoot(NDArray next) {
    requireOpen();
    next.attach(manager);
    NDArray old = root;
    root = next;
    old.close();
  }

  /** The context, for {@link FullMatrixBatch}'s checks and messages. */
  PreconditionerContext context() {
    return context;
  }

  @Override
  public void refreshInverseRoot() {
    requireOpen();
    NDArray fresh;
    try (NDManager scratch = manager.newSubManager()) {
      NDArray s = statistic.duplicate();
      s.attach(scratch);
      // The ridge eps·λmax(S)·I goes into this copy, never into the stored statistic.
      NDArray ridge = context.linalg().maxEigenvalue(s).mul(context.epsilon());
      NDArray ridged = s.add(scratch.eye(order).mul(ridge));
      fresh = UpdateGuard.solve(Kind.ROOT, context.label(), context.rootMethod().name(),
          () -> context.rootMethod().inverseRoot(ridged, context.rootExponent()));
      fresh.attach(scratch);
      UpdateGuard.requireFinite(Kind.ROOT, context.label(), "the new inverse root", fresh);
      fresh.attach(manager);
    }
    NDArray old = root;
    root = fresh;
    old.close();
  }

  @Override
  public NDArray inverseRoot(NDManager target) {
    requireOpen();
    NDArray copy = root.duplicate();
    copy.attach(target);
    return copy;
  }

  /** The stored root itself: the step only reads it, so a copy per step would be wasted. */
  @Override
  public NDArray inverseRootForStep(NDManager target) {
    requireOpen();
    return root;
  }

  @Override
  public NDArray statistic(NDManager target) {
    requireOpen();
    NDArray copy = statistic.duplicate();
    copy.attach(target);
    return copy;
  }

  /** The fp32 {@code statistic} and {@code root}. */
  @Override
  public StateSnapshot saveState() {
    requireOpen();
    return StateSnapshot.builder().array("statistic", statistic).array("root", root).build();
  }

  @Override
  public void restoreState(StateSnapshot snapshot) {
    requireOpen();
    try (NDManager scope = manager.newSubManager()) {
      StateSnapshot.Reader r = snapshot.reader(scope);
      NDArray s = r.array("statistic", statistic);
      NDArray h = r.array("root", root);
      r.finish();
      s.attach(manager);
      h.attach(manager);
      // Swapped only once everything was read.
      statistic.close();
      root.close();
      statistic = s;
      root = h;
    }
  }

  @Override
  public MemoryFootprint memory() {
    return closed ? MemoryFootprint.ZERO : MemoryFootprint.ofFp32(statistic.size() + root.size());
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      manager.close();
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException(context.label() + ": preconditioner was closed");
    }
  }
}
