package org.shampoo4j.bench.variant;

import java.util.Objects;
import org.shampoo4j.shampoo.RefreshStacking;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.distributed.GradientReduction;
import org.shampoo4j.shampoo.state.Setting;
import org.shampoo4j.shampoo.state.SettingList;

/**
 * Hyper-parameters shared by every variant of one bench run, so that variants differ only in the
 * module that is swapped. Immutable; built with {@link #builder()}.
 */
public final class VariantSettings {
  private final float sgdLearningRate;
  private final float adamwLearningRate;
  private final float momentum;
  private final float sgdWeightDecay;
  private final float adamwWeightDecay;
  private final LearningRateSchedule schedule;
  private final BaseKind shampooBase;
  private final int statisticInterval;
  private final int rootInterval;
  private final int maxOrder;
  private final float beta;
  private final float epsilon;
  private final Distribution distribution;
  private final NonFinitePolicy nonFinitePolicy;
  private final boolean fusedBase;
  private final RefreshStacking refreshStacking;

  /*
   * Every field above, described once (VariantSettingsTest fails for one missing): the
   * checkpointed ones enter a run checkpoint's setup; the runtime ones change no good step
   * (non-finite policy, fused base step: bit for bit the per-parameter path) or follow the
   * devices, which the setup leaves out (distribution; refresh stacking, within float32 rounding
   * of the per-block path and stacked by default on GPUs only).
   */
  private static final SettingList<VariantSettings> SETTINGS = SettingList.of(
      Setting.checkpointed("T1", VariantSettings::statisticInterval),
      Setting.checkpointed("T2", VariantSettings::rootInterval),
      Setting.checkpointed("maxOrder", VariantSettings::maxOrder),
      Setting.checkpointed("beta", VariantSettings::beta),
      Setting.checkpointed("epsilon", VariantSettings::epsilon),
      Setting.checkpointed("shampooBase", v -> v.shampooBase().cliName()),
      Setting.checkpointed("schedule", VariantSettings::schedule),
      Setting.checkpointed("sgdLearningRate", VariantSettings::sgdLearningRate),
      Setting.checkpointed("adamwLearningRate", VariantSettings::adamwLearningRate),
      Setting.checkpointed("momentum", VariantSettings::momentum),
      Setting.checkpointed("sgdWeightDecay", VariantSettings::sgdWeightDecay),
      Setting.checkpointed("adamwWeightDecay", VariantSettings::adamwWeightDecay),
      Setting.runtime("distribution", VariantSettings::distribution),
      Setting.runtime("nonFinitePolicy", VariantSettings::nonFinitePolicy),
      Setting.runtime("fusedBase", VariantSettings::fusedBase),
      Setting.runtime("refreshStacking", VariantSettings::refreshStacking));

  private VariantSettings(Builder b) {
    this.sgdLearningRate = b.sgdLearningRate;
    this.adamwLearningRate = b.adamwLearningRate;
    this.momentum = b.momentum;
    this.sgdWeightDecay = b.sgdWeightDecay;
    this.adamwWeightDecay = b.adamwWeightDecay;
    this.schedule = b.schedule;
    this.shampooBase = b.shampooBase;
    this.statisticInterval = b.statisticInterval;
    this.rootInterval = b.rootInterval;
    this.maxOrder = b.maxOrder;
    this.beta = b.beta;
    this.epsilon = b.epsilon;
    this.distribution = b.distribution;
    this.nonFinitePolicy = b.nonFinitePolicy;
    this.fusedBase = b.fusedBase;
    this.refreshStacking = b.refreshStacking;
  }

  /**
   * A builder with the bench defaults: SGD lr 0.05, AdamW lr 0.002, momentum 0.9, weight decay 0 (SGD and AdamW), constant learning rate,
   * Shampoo on SGD, T1 = 10, T2 = 50 (short runs need frequent refreshes: the papers' 100/500 assume
   * tens of thousands of steps), max order 1200, β = 0.95, eps = 1e-6.
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Every setting, described once: the {@link Setting.Role#CHECKPOINTED} ones are part of a run
   * checkpoint's setup, the {@link Setting.Role#RUNTIME} ones may change on resume.
   */
  public static SettingList<VariantSettings> settings() {
    return SETTINGS;
  }

  /** Learning rate of SGD with momentum, alone or as Shampoo's base. */
  public float sgdLearningRate() {
    return sgdLearningRate;
  }

  /** Learning rate of AdamW (32-bit and 4-bit), alone or as Shampoo's base. */
  public float adamwLearningRate() {
    return adamwLearningRate;
  }

  /** SGD momentum μ. */
  public float momentum() {
    return momentum;
  }

  /** Coupled L2 weight decay of SGD-momentum, alone or as Shampoo's base. */
  public float sgdWeightDecay() {
    return sgdWeightDecay;
  }

  /** Decoupled weight decay of AdamW (32-bit and 4-bit), alone or as Shampoo's base. */
  public float adamwWeightDecay() {
    return adamwWeightDecay;
  }

  /** The learning-rate schedule every variant follows (peak rate: its own learning rate). */
  public LearningRateSchedule schedule() {
    return schedule;
  }

  /** The base optimizer Shampoo grafts onto. */
  public BaseKind shampooBase() {
    return shampooBase;
  }

  /** The learning rate Shampoo variants use: their base's. */
  public float shampooLearningRate() {
    return shampooBase == BaseKind.SGD ? sgdLearningRate : adamwLearningRate;
  }

  /** T1: steps between statistic updates. */
  public int statisticInterval() {
    return statisticInterval;
  }

  /** T2: steps between inverse-root refreshes. */
  public int rootInterval() {
    return rootInterval;
  }

  /** Largest preconditioner order before a dimension is split into blocks. */
  public int maxOrder() {
    return maxOrder;
  }

  /** EMA factor β of the statistics. */
  public float beta() {
    return beta;
  }

  /** eps of the initial statistic and the relative ridge. */
  public float epsilon() {
    return epsilon;
  }

  /**
   * How Shampoo spreads its state over the training devices (replicated or sharded), and what
   * every variant does with DJL's summed multi-device gradient.
   */
  public Distribution distribution() {
    return distribution;
  }

  /** The non-finite gradient policy of every variant; default the library's, GUARDED. */
  public NonFinitePolicy nonFinitePolicy() {
    return nonFinitePolicy;
  }

  /**
   * Whether base optimizers run alone take the fused multi-parameter step ({@code
   * BaseOptimizerAdapter.Builder.fusedStep}); default on.
   */
  public boolean fusedBase() {
    return fusedBase;
  }

  /** How Shampoo's refreshes compute the blocks of one order; default the library's. */
  public RefreshStacking refreshStacking() {
    return refreshStacking;
  }

  /**
   * The factor every variant applies to DJL's summed gradient: {@code 1/N} under {@link
   * GradientReduction#MEAN} on N devices, so base optimizers and Shampoo see the same gradient.
   */
  public float gradientScale() {
    return distribution.reduction().scale(distribution.replicas());
  }

  /** Builder of {@link VariantSettings}. */
  public static final class Builder {
    private float sgdLearningRate = 0.05f;
    private float adamwLearningRate = 0.002f;
    private float momentum = 0.9f;
    private float sgdWeightDecay = 0f;
    private float adamwWeightDecay = 0f;
    private LearningRateSchedule schedule = LearningRateSchedule.constant();
    private BaseKind shampooBase = BaseKind.SGD;
    private int statisticInterval = 10;
    private int rootInterval = 50;
    private int maxOrder = 1200;
    private float beta = 0.95f;
    private float epsilon = 1e-6f;
    private Distribution distribution = Distribution.replicated();
    private NonFinitePolicy nonFinitePolicy = NonFinitePolicy.GUARDED;
    private boolean fusedBase = true;
    private RefreshStacking refreshStacking = RefreshStacking.GPU_ONLY;

    private Builder() {}

    /** SGD learning rate, positive and finite. */
    public Builder sgdLearningRate(float lr) {
      this.sgdLearningRate = positive(lr, "SGD learning rate");
      return this;
    }

    /** AdamW learning rate, positive and finite. */
    public Builder adamwLearningRate(float lr) {
      this.adamwLearningRate = positive(lr, "AdamW learning rate");
      return this;
    }

    /** Momentum in [0, 1). */
    public Builder momentum(float momentum) {
      if (!(momentum >= 0f && momentum < 1f)) {
        throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
      }
      this.momentum = momentum;
      return this;
    }

    /** Weight decay of SGD-momentum (coupled L2), non-negative and finite. */
    public Builder sgdWeightDecay(float weightDecay) {
      this.sgdWeightDecay = nonNegative(weightDecay, "SGD weight decay");
      return this;
    }

    /** Weight decay of AdamW (decoupled), non-negative and finite. */
    public Builder adamwWeightDecay(float weightDecay) {
      this.adamwWeightDecay = nonNegative(weightDecay, "AdamW weight decay");
      return this;
    }

    /** The learning-rate schedule. */
    public Builder schedule(LearningRateSchedule schedule) {
      this.schedule = Objects.requireNonNull(schedule, "schedule");
      return this;
    }

    /** Shampoo's base optimizer. */
    public Builder shampooBase(BaseKind base) {
      this.shampooBase = Objects.requireNonNull(base, "shampoo base");
      return this;
    }

    /** T1, positive. */
    public Builder statisticInterval(int t1) {
      if (t1 < 1) {
        throw new IllegalArgumentException("T1 (statistic interval) must be positive, got " + t1);
      }
      this.statisticInterval = t1;
      return this;
    }

    /** T2, positive. */
    public Builder rootInterval(int t2) {
      if (t2 < 1) {
        throw new IllegalArgumentException("T2 (inverse-root interval) must be positive, got " + t2);
      }
      this.rootInterval = t2;
      return this;
    }

    /** Max order, at least 2. */
    public Builder maxOrder(int maxOrder) {
      if (maxOrder < 2) {
        throw new IllegalArgumentException("max order must be at least 2, got " + maxOrder);
      }
      this.maxOrder = maxOrder;
      return this;
    }

    /** β in [0, 1). */
    public Builder beta(float beta) {
      if (!(beta >= 0f && beta < 1f)) {
        throw new IllegalArgumentException("beta must be in [0, 1), got " + beta);
      }
      this.beta = beta;
      return this;
    }

    /** eps, positive and finite. */
    public Builder epsilon(float epsilon) {
      this.epsilon = positive(epsilon, "epsilon");
      return this;
    }

    /** The multi-device distribution; default {@link Distribution#replicated()}. */
    public Builder distribution(Distribution distribution) {
      this.distribution = java.util.Objects.requireNonNull(distribution, "distribution");
      return this;
    }

    /** How Shampoo's refreshes compute; default {@link RefreshStacking#GPU_ONLY}. */
    public Builder refreshStacking(RefreshStacking stacking) {
      this.refreshStacking = java.util.Objects.requireNonNull(stacking, "stacking");
      return this;
    }

    /** The non-finite gradient policy; default {@link NonFinitePolicy#GUARDED}. */
    public Builder nonFinitePolicy(NonFinitePolicy policy) {
      this.nonFinitePolicy = java.util.Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The fused base step of base optimizers run alone on or off; default on. */
    public Builder fusedBase(boolean fusedBase) {
      this.fusedBase = fusedBase;
      return this;
    }

    /** Builds the settings. */
    public VariantSettings build() {
      return new VariantSettings(this);
    }

    private static float nonNegative(float v, String what) {
      if (!(v >= 0f) || !Float.isFinite(v)) {
        throw new IllegalArgumentException(what + " must be finite and non-negative, got " + v);
      }
      return v;
    }

    private static float positive(float v, String what) {
      if (!(v > 0f) || !Float.isFinite(v)) {
        throw new IllegalArgumentException(what + " must be positive and finite, got " + v);
      }
      return v;
    }
  }
}
