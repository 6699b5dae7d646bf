package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a {@link BaseOptimizer} alone as a DJL {@link Optimizer}, through the same gradient
 * handling ({@link GradientPreprocessor}), step counting and learning-rate tracking as {@code
 * ShampooOptimizer}, so plain SGD-momentum and AdamW baselines share the code of Shampoo runs.
 *
 * <p>Step counting: each parameter copy counts its own applied updates; the first is step 1 and a
 * skipped update (non-finite gradient under {@link NonFinitePolicy#SKIP}) does not count. The
 * learning rate is {@code tracker.getNewValue(parameterId, step)}.
 *
 * <p>After each update (applied, skipped or failed) the weight's gradient buffer is zeroed, as
 * DJL's own PyTorch optimizers do; see {@link GradientPreprocessor#clearGradient}.
 *
 * <p>Close it (it is {@link AutoCloseable}) to free the base optimizer's state.
 */
public final class BaseOptimizerAdapter extends Optimizer implements AutoCloseable {
  private final BaseOptimizer base;
  private final ParameterTracker learningRate;
  private final GradientPreprocessor preprocessor;
  private final StateKeys keys = new StateKeys();
  private final DeviceManagers scratchManagers = new DeviceManagers();
  private final Map<String, Integer> steps = new ConcurrentHashMap<>();

  private BaseOptimizerAdapter(Builder b) {
    super(new DjlSettings(b.rescaleGrad, b.clipGrad));
    this.base = Objects.requireNonNull(b.base, "base optimizer must be set");
    this.learningRate = b.learningRate;
    this.preprocessor = new GradientPreprocessor(b.rescaleGrad, b.clipGrad, b.policy);
  }

  /** A builder: learning rate fixed 0.01, no rescale, no clipping, non-finite gradients throw. */
  public static Builder builder() {
    return new Builder();
  }

  /** The wrapped optimizer. */
  public BaseOptimizer baseOptimizer() {
    return base;
  }

  /** How many parameter updates were skipped for non-finite gradients. */
  public long skippedUpdates() {
    return preprocessor.skippedUpdates();
  }

  @Override
  public void update(String parameterId, NDArray weight, NDArray grad) {
    String key = keys.key(parameterId, weight.getDevice());
    try (NDManager scratch = scratchManagers.scratch(weight)) {
      grad.tempAttach(scratch);
      Optional<NDArray> g = preprocessor.prepare(parameterId, grad);
      if (g.isEmpty()) {
        return;
      }
      int step = steps.merge(key, 1, Integer::sum);
      float lr = learningRate.getNewValue(parameterId, step);
      base.update(key, weight, g.get(), lr, step);
    } finally {
      GradientPreprocessor.clearGradient(weight);
    }
  }

  @Override
  public void close() {
    base.close();
    scratchManagers.close();
  }

  /** Builder of {@link BaseOptimizerAdapter}. */
  public static final class Builder {
    private BaseOptimizer base;
    private ParameterTracker learningRate = Tracker.fixed(0.01f);
    private float rescaleGrad = 1f;
    private float clipGrad = -1f;
    private NonFinitePolicy policy = NonFinitePolicy.THROW;

    private Builder() {}

    /** The optimizer to run (required); the adapter owns and closes it. */
    public Builder baseOptimizer(BaseOptimizer base) {
      this.base = Objects.requireNonNull(base, "base");
      return this;
    }

    /** The learning-rate tracker; default fixed 0.01. */
    public Builder learningRateTracker(ParameterTracker tracker) {
      this.learningRate = Objects.requireNonNull(tracker, "tracker");
      return this;
    }

    /** Gradient multiplier (DJL {@code rescaleGrad}); default 1. */
    public Builder rescaleGrad(float rescaleGrad) {
      this.rescaleGrad = rescaleGrad;
      return this;
    }

    /** Element-wise clip bound (DJL {@code clipGrad}); a value {@code <= 0} is off (default). */
    public Builder clipGrad(float clipGrad) {
      this.clipGrad = clipGrad;
      return this;
    }

    /** Non-finite gradient policy; default {@link NonFinitePolicy#THROW}. */
    public Builder nonFinitePolicy(NonFinitePolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * The adapter.
     *
     * @throws IllegalArgumentException for a bad rescale or clip value, or a missing optimizer
     */
    public BaseOptimizerAdapter build() {
      if (base == null) {
        throw new IllegalArgumentException("a base optimizer is required");
      }
      return new BaseOptimizerAdapter(this);
    }
  }

  /**
   * Carries rescale and clip into DJL's {@link Optimizer} fields (so {@code rescaleGrad} and
   * {@code clipGrad} read the same as in DJL's optimizers); weight decay stays 0 here because the
   * base optimizers own their weight decay.
   */
  static final class DjlSettings extends OptimizerBuilder<DjlSettings> {
    DjlSettings(float rescaleGrad, float clipGrad) {
      setRescaleGrad(rescaleGrad);
      optClipGrad(clipGrad);
    }

    @Override
    protected DjlSettings self() {
      return this;
    }
  }
}
