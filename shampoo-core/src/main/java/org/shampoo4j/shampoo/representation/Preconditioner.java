package org.shampoo4j.shampoo.representation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * The state of one statistic and its inverse root, in some representation. Mutable: the optimizer
 * calls {@link #accumulate} every T1 steps and {@link #refreshInverseRoot} every T2 steps. All
 * arrays it holds live in its context's manager, on the parameters' device.
 */
public interface Preconditioner extends AutoCloseable {
  /** The order n of the n×n statistic. */
  int order();

  /**
   * Folds a new outer product into the statistic: {@code S ← β·S + (1−β)·gram}.
   *
   * @param gram {@code G·Gᵀ} (or {@code Gᵀ·G}), n×n, symmetric PSD, on the state's device
   * @throws RejectedUpdateException if the new statistic is not finite or a solver failed; the
   *     previous state is then kept unchanged (implementations check with {@link UpdateGuard})
   */
  void accumulate(NDArray gram);

  /**
   * How this preconditioner's statistic can be updated together with others of its kind (see
   * {@link BatchedStatistics}); empty (the default) if only one at a time through {@link
   * #accumulate}.
   */
  default java.util.Optional<BatchedStatistics> batchedStatistics() {
    return java.util.Optional.empty();
  }

  /**
   * How this preconditioner's inverse root can be refreshed together with others of its kind
   * (see {@link BatchedRoots}); empty (the default) if only one at a time through {@link
   * #refreshInverseRoot}.
   */
  default java.util.Optional<BatchedRoots> batchedRoots() {
    return java.util.Optional.empty();
  }

  /**
   * Recomputes the stored inverse root {@code (S + eps·λmax(S)·I)^(−1/p)} from the statistic; the
   * ridge goes into a copy, never into the stored statistic.
   *
   * @throws RejectedUpdateException if the solver failed or the new root is not finite; the
   *     previous root is then kept unchanged
   */
  void refreshInverseRoot();

  /**
   * The current inverse root as a new array attached to {@code manager} (the identity before the
   * first refresh). The caller owns and closes it.
   */
  NDArray inverseRoot(NDManager manager);

  /**
   * The current inverse root for the optimizer's step, which only reads it, and only until {@code
   * manager} closes: by default a new array, as {@link #inverseRoot}. A representation that keeps
   * the root as a dense float32 array returns that array itself (no copy per step). The caller
   * neither modifies nor closes it.
   */
  default NDArray inverseRootForStep(NDManager manager) {
    return inverseRoot(manager);
  }

  /**
   * The current inverse root as the fused step reads it: packed buffers exactly as stored (no
   * decode; the step decodes all roots of one order together) or a dense array. By default the
   * dense {@link #inverseRootForStep}. Valid until {@code manager} closes or the next refresh;
   * the caller neither modifies nor closes what it holds.
   */
  default StepRoot stepRoot(NDManager manager) {
    return new StepRoot.Dense(inverseRootForStep(manager));
  }

  /**
   * The current statistic S as the representation sees it (dequantized or rebuilt), as a new array
   * attached to {@code manager}. Used by tests and reports, not by the step.
   */
  NDArray statistic(NDManager manager);

  /**
   * How many statistic updates were rejected and the previous state kept (for example a Cholesky
   * factorisation that failed even after raising the ridge). Zero for representations that cannot
   * fail.
   */
  default long rejectedUpdates() {
    return 0;
  }

  /**
   * The stored state exactly as held (packed codes, scales and fp32 parts, counters), copied to
   * the host for a checkpoint. Representations that cannot be checkpointed keep this default.
   *
   * @throws UnsupportedOperationException if the representation does not support checkpoints
   */
  default StateSnapshot saveState() {
    throw new UnsupportedOperationException(
        getClass().getName() + " does not support checkpoints (saveState/restoreState)");
  }

  /**
   * Replaces the stored state by a snapshot's, placed on this state's device. Every array is
   * checked against the type and shape this state holds and every entry must be used; the state
   * is swapped only once all of it was read, so after a failure it is unchanged.
   *
   * @throws IllegalArgumentException naming the entry that is missing, extra or of another shape
   * @throws UnsupportedOperationException if the representation does not support checkpoints
   */
  default void restoreState(StateSnapshot snapshot) {
    throw new UnsupportedOperationException(
        getClass().getName() + " does not support checkpoints (saveState/restoreState)");
  }

  /** The exact bytes this state holds, computed from its real buffers. */
  MemoryFootprint memory();

  /** Frees the state's arrays. */
  @Override
  void close();
}
