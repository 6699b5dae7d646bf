package org.shampoo4j.shampoo;

import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.shampoo4j.quant.Blocking;
import org.shampoo4j.quant.QuantizationSettings;
import org.shampoo4j.shampoo.base.BaseOptimizerSpec;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.state.Fingerprint;
import org.shampoo4j.shampoo.state.Setting;
import org.shampoo4j.shampoo.state.SettingList;

/**
 * Every setting of {@link ShampooOptimizer}, immutable, built with {@link #builder()} and
 * validated as a whole at {@link Builder#build()} (all problems reported in one message).
 *
 * <p>Step numbering: each parameter counts its applied updates; the first update is step 1. The
 * statistics are updated at the steps where {@code step % statisticsInterval == 0} (T1), the
 * inverse roots recomputed where {@code step % rootInterval == 0} (T2), statistics first when both
 * fall on one step. Until a block's first root exists its direction is the gradient itself
 * ({@code L̂ = R̂ = I}, and grafting would rescale by exactly 1), so with T2 beyond the run Shampoo
 * equals its base optimizer.
 *
 * <p>Defaults are docs/algorithms.md §1's: β 0.95, eps 1e-6, T1 100, T2 500, max order 1200, grafting per
 * tensor ({@link Grafting#PER_TENSOR}, as the official code does), SGD with momentum 0.9 as base,
 * learning rate 0.01, 4-bit quantization in blocks of 64 for matrices of at least 4096 elements,
 * non-finite gradients throw, a block whose preconditioner updates fail 3 times in a row stops
 * training. The root method defaults to
 * {@link RootMethod#EIGH}, the route {@code LINALG.md} recommends: the 32-bit baseline's coupled
 * Newton with its 10 iterations is accurate only up to statistic condition numbers of about
 * 1e2–1e3 (NRE 40–60 % at 1e6, which early, rank-deficient statistics reach), while eigh is
 * accurate at any condition the ridge allows. Choose {@link RootMethod#COUPLED_NEWTON} (with 20
 * iterations for full accuracy) for the matmul-only baseline. For small test problems use T1 =
 * 1..10 and T2 = 10..50.
 */
public final class ShampooConfig {
  private final ParameterTracker learningRate;
  private final float rescaleGrad;
  private final float clipGrad;
  private final NonFinitePolicy nonFinitePolicy;
  private final float beta;
  private final float epsilon;
  private final int statisticsInterval;
  private final int rootInterval;
  private final int maxOrder;
  private final RootMethod rootMethod;
  private final int newtonIterations;
  private final Grafting grafting;
  private final int minPreconditionedDimension;
  private final QuantizationSettings quantization;
  private final BaseOptimizerSpec baseOptimizer;
  private final int maxConsecutiveFailures;

  /*
   * Every field above, described once: the checkpointed ones in the order of the optimizer's
   * fingerprint (after its representation and base entries), the runtime ones (which change no
   * good step) and the base optimizer spec (fingerprinted as the base optimizer actually used).
   * The quantization field is described as its four settings, under the names they have always
   * had in checkpoints. ShampooConfigSettingsTest fails for a field missing here.
   */
  private static final SettingList<ShampooConfig> SETTINGS = SettingList.of(
      Setting.runtime("learningRate", ShampooConfig::learningRateTracker),
      Setting.checkpointed("statisticsInterval", ShampooConfig::statisticsInterval),
      Setting.checkpointed("rootInterval", ShampooConfig::rootInterval),
      Setting.checkpointed("beta", ShampooConfig::beta),
      Setting.checkpointed("epsilon", ShampooConfig::epsilon),
      Setting.checkpointed("maxOrder", ShampooConfig::maxOrder),
      Setting.checkpointed("minPreconditionedDimension",
          ShampooConfig::minPreconditionedDimension),
      Setting.checkpointed("rootMethod", ShampooConfig::rootMethod),
      Setting.checkpointed("newtonIterations", ShampooConfig::newtonIterations),
      Setting.checkpointed("grafting", ShampooConfig::grafting),
      Setting.checkpointed("quantizationBits", ShampooConfig::quantizationBits),
      Setting.checkpointed("quantizationBlockSize", ShampooConfig::quantizationBlockSize),
      Setting.checkpointed("minQuantizedElements", ShampooConfig::minQuantizedElements),
      Setting.checkpointed("quantizationBlocking", ShampooConfig::quantizationBlocking),
      Setting.checkpointed("rescaleGrad", ShampooConfig::rescaleGrad),
      Setting.checkpointed("clipGrad", ShampooConfig::clipGrad),
      Setting.runtime("nonFinitePolicy", ShampooConfig::nonFinitePolicy),
      Setting.component("baseOptimizer", ShampooConfig::baseOptimizer),
      Setting.checkpointed("maxConsecutiveFailures", ShampooConfig::maxConsecutiveFailures));

  private ShampooConfig(Builder b) {
    this.learningRate = b.learningRate;
    this.rescaleGrad = b.rescaleGrad;
    this.clipGrad = b.clipGrad;
    this.nonFinitePolicy = b.nonFinitePolicy;
    this.beta = b.beta;
    this.epsilon = b.epsilon;
    this.statisticsInterval = b.statisticsInterval;
    this.rootInterval = b.rootInterval;
    this.maxOrder = b.maxOrder;
    this.rootMethod = b.rootMethod;
    this.newtonIterations = b.newtonIterations;
    this.grafting = b.grafting;
    this.minPreconditionedDimension = b.minPreconditionedDimension;
    this.quantization = QuantizationSettings.builder().bits(b.quantizationBits)
        .blockSize(b.quantizationBlockSize).blocking(b.quantizationBlocking)
        .minQuantizedElements(b.minQuantizedElements).build();
    this.baseOptimizer = b.baseOptimizer;
    this.maxConsecutiveFailures = b.maxConsecutiveFailures;
  }

  /** A builder holding the defaults listed in the class comment. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder initialised from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.learningRate = learningRate;
    b.rescaleGrad = rescaleGrad;
    b.clipGrad = clipGrad;
    b.nonFinitePolicy = nonFinitePolicy;
    b.beta = beta;
    b.epsilon = epsilon;
    b.statisticsInterval = statisticsInterval;
    b.rootInterval = rootInterval;
    b.maxOrder = maxOrder;
    b.rootMethod = rootMethod;
    b.newtonIterations = newtonIterations;
    b.grafting = grafting;
    b.minPreconditionedDimension = minPreconditionedDimension;
    b.quantization(quantization);
    b.baseOptimizer = baseOptimizer;
    b.maxConsecutiveFailures = maxConsecutiveFailures;
    return b;
  }

  /**
   * Every setting of this class, described once: name, role and reader. The {@link
   * Setting.Role#CHECKPOINTED} ones are the configuration's part of the optimizer's checkpoint
   * fingerprint ({@link #fingerprint}); the {@link Setting.Role#RUNTIME} ones (learning-rate
   * tracker, checked by its own record, and the non-finite policy, which changes no good step)
   * may differ across a restart; the base optimizer spec is fingerprinted as the base optimizer
   * the optimizer runs.
   */
  public static SettingList<ShampooConfig> settings() {
    return SETTINGS;
  }

  /**
   * Adds this configuration's checkpointed settings to {@code fingerprint}, in the order of
   * {@link #settings()}.
   *
   * @return {@code fingerprint}
   */
  public Fingerprint.Builder fingerprint(Fingerprint.Builder fingerprint) {
    return SETTINGS.fingerprint(this, fingerprint);
  }

  /** Learning rate per parameter and step (DJL tracker, as DJL's own optimizers use). */
  public ParameterTracker learningRateTracker() {
    return learningRate;
  }

  /** Gradient multiplier applied first (DJL {@code rescaleGrad}). */
  public float rescaleGrad() {
    return rescaleGrad;
  }

  /** Element-wise gradient clip bound, applied after rescaling; {@code <= 0} is off. */
  public float clipGrad() {
    return clipGrad;
  }

  /** What a non-finite gradient does. */
  public NonFinitePolicy nonFinitePolicy() {
    return nonFinitePolicy;
  }

  /** EMA factor β of the statistics. */
  public float beta() {
    return beta;
  }

  /** Initial statistic scale and relative ridge eps. */
  public float epsilon() {
    return epsilon;
  }

  /** T1: statistics are updated at steps that are multiples of it. */
  public int statisticsInterval() {
    return statisticsInterval;
  }

  /** T2: inverse roots are recomputed at steps that are multiples of it. */
  public int rootInterval() {
    return rootInterval;
  }

  /** Largest statistic order; larger dimensions are blocked. */
  public int maxOrder() {
    return maxOrder;
  }

  /** Inverse-root method. */
  public RootMethod rootMethod() {
    return rootMethod;
  }

  /** Iterations of the coupled Newton method. */
  public int newtonIterations() {
    return newtonIterations;
  }

  /**
   * How the direction is rescaled to the gradient's Frobenius norm: per tensor after the blocks
   * are merged (default), per block, or not at all.
   */
  public Grafting grafting() {
    return grafting;
  }

  /**
   * Parameters whose matrix view has a dimension below this are "tiny" and updated by the base
   * optimizer alone, as are all parameters of rank 0 or 1 once their size-1 dimensions are
   * dropped ({@link BlockLayout#of}).
   */
  public int minPreconditionedDimension() {
    return minPreconditionedDimension;
  }

  /**
   * The quantization settings handed to quantized representations (which choose the map): code
   * width, block size, blocking and the minimum quantized size.
   */
  public QuantizationSettings quantization() {
    return quantization;
  }

  /** Code width handed to quantized representations ({@link QuantizationSettings#bits()}). */
  public int quantizationBits() {
    return quantization.bits();
  }

  /** Quantization block size ({@link QuantizationSettings#blockSize()}). */
  public int quantizationBlockSize() {
    return quantization.blockSize();
  }

  /**
   * How the quantized square states (eigenvectors, inverse roots, statistics, Cholesky factors)
   * are split into blocks: {@link Blocking#ROWS} (default, the official kernels' layout, every
   * block inside one row) or {@link Blocking#FLAT}.
   */
  public Blocking quantizationBlocking() {
    return quantization.blocking();
  }

  /** Statistics with fewer elements stay fp32 in quantized representations. */
  public long minQuantizedElements() {
    return quantization.minQuantizedElements();
  }

  /** The default base optimizer (a Guice module may override it). */
  public BaseOptimizerSpec baseOptimizer() {
    return baseOptimizer;
  }

  /**
   * How many statistic events, or root events, of one block may fail in a row (an update rejected
   * and the previous state kept) before the optimizer throws a {@link
   * org.shampoo4j.shampoo.health.PreconditionerFailureException}.
   */
  public int maxConsecutiveFailures() {
    return maxConsecutiveFailures;
  }

  @Override
  public String toString() {
    return "ShampooConfig[beta=" + beta + ", eps=" + epsilon + ", T1=" + statisticsInterval
        + ", T2=" + rootInterval + ", maxOrder=" + maxOrder + ", root=" + rootMethod
        + (rootMethod == RootMethod.COUPLED_NEWTON ? "(" + newtonIterations + ")" : "")
        + ", grafting=" + grafting + ", minDim=" + minPreconditionedDimension
        + ", quant=" + quantization.bits() + "bit/" + quantization.blockSize() + "/"
        + quantization.blocking() + "/min" + quantization.minQuantizedElements()
        + ", base=" + baseOptimizer.name()
        + ", rescale=" + rescaleGrad + ", clip=" + clipGrad + ", nonFinite=" + nonFinitePolicy
        + ", maxConsecutiveFailures=" + maxConsecutiveFailures + "]";
  }

  /** Builder of {@link ShampooConfig}; setters store, {@link #build()} validates. */
  public static final class Builder {
    private ParameterTracker learningRate = Tracker.fixed(0.01f);
    private float rescaleGrad = 1f;
    private float clipGrad = -1f;
    private NonFinitePolicy nonFinitePolicy = NonFinitePolicy.GUARDED;
    private float beta = 0.95f;
    private float epsilon = 1e-6f;
    private int statisticsInterval = 100;
    private int rootInterval = 500;
    private int maxOrder = 1200;
    private RootMethod rootMethod = RootMethod.EIGH;
    private int newtonIterations = 10;
    private Grafting grafting = Grafting.PER_TENSOR;
    private int minPreconditionedDimension = 2;
    // The quantization settings are kept loose here and checked by QuantizationSettings at
    // build(), so that one message lists them with every other problem.
    private int quantizationBits = QuantizationSettings.DEFAULT_BITS;
    private int quantizationBlockSize = QuantizationSettings.DEFAULT_BLOCK_SIZE;
    private Blocking quantizationBlocking = Blocking.ROWS;
    private long minQuantizedElements = QuantizationSettings.DEFAULT_MIN_QUANTIZED_ELEMENTS;
    private BaseOptimizerSpec baseOptimizer = SgdMomentum.builder().settings();
    private int maxConsecutiveFailures = 3;

    private Builder() {}

    /** A fixed learning rate. */
    public Builder learningRate(float learningRate) {
      if (!Float.isFinite(learningRate) || learningRate < 0f) {
        // Checked here because Tracker.fixed hides the value from build().
        throw new IllegalArgumentException(
            "learning rate must be finite and non-negative, got " + learningRate);
      }
      this.learningRate = Tracker.fixed(learningRate);
      return this;
    }

    /** A learning-rate tracker (schedule); DJL's {@code Tracker} implementations fit. */
    public Builder learningRateTracker(ParameterTracker tracker) {
      this.learningRate = tracker;
      return this;
    }

    /** Gradient multiplier; default 1. */
    public Builder rescaleGrad(float rescaleGrad) {
      this.rescaleGrad = rescaleGrad;
      return this;
    }

    /** Element-wise clip bound; {@code <= 0} is off (default). */
    public Builder clipGrad(float clipGrad) {
      this.clipGrad = clipGrad;
      return this;
    }

    /** Non-finite gradient policy; default {@link NonFinitePolicy#GUARDED}. */
    public Builder nonFinitePolicy(NonFinitePolicy policy) {
      this.nonFinitePolicy = policy;
      return this;
    }

    /** EMA factor β in [0, 1); default 0.95. */
    public Builder beta(float beta) {
      this.beta = beta;
      return this;
    }

    /** eps, positive; default 1e-6. */
    public Builder epsilon(float epsilon) {
      this.epsilon = epsilon;
      return this;
    }

    /** T1 >= 1; default 100. */
    public Builder statisticsInterval(int t1) {
      this.statisticsInterval = t1;
      return this;
    }

    /** T2 >= 1; default 500. */
    public Builder rootInterval(int t2) {
      this.rootInterval = t2;
      return this;
    }

    /** Max statistic order >= 1; default 1200. */
    public Builder maxOrder(int maxOrder) {
      this.maxOrder = maxOrder;
      return this;
    }

    /** Inverse-root method; default {@link RootMethod#EIGH} (see the class comment). */
    public Builder rootMethod(RootMethod rootMethod) {
      this.rootMethod = rootMethod;
      return this;
    }

    /** Coupled Newton iterations >= 1; default 10 (the baseline's; 20 for condition up to 1e6). */
    public Builder newtonIterations(int iterations) {
      this.newtonIterations = iterations;
      return this;
    }

    /** Grafting scope; default {@link Grafting#PER_TENSOR}. */
    public Builder grafting(Grafting grafting) {
      this.grafting = grafting;
      return this;
    }

    /** Smallest preconditioned matrix-view dimension >= 1; default 2 (see the getter). */
    public Builder minPreconditionedDimension(int minDimension) {
      this.minPreconditionedDimension = minDimension;
      return this;
    }

    /**
     * All quantization settings at once (replacing the four set one by one); default {@link
     * QuantizationSettings#defaults()}.
     */
    public Builder quantization(QuantizationSettings settings) {
      Objects.requireNonNull(settings, "settings");
      this.quantizationBits = settings.bits();
      this.quantizationBlockSize = settings.blockSize();
      this.quantizationBlocking = settings.blocking();
      this.minQuantizedElements = settings.minQuantizedElements();
      return this;
    }

    /** Code width in [1, 8]; default 4. */
    public Builder quantizationBits(int bits) {
      this.quantizationBits = bits;
      return this;
    }

    /** Quantization block size >= 1; default 64. */
    public Builder quantizationBlockSize(int blockSize) {
      this.quantizationBlockSize = blockSize;
      return this;
    }

    /**
     * How quantized square states are split into blocks; default {@link Blocking#ROWS} (see the
     * getter).
     */
    public Builder quantizationBlocking(Blocking blocking) {
      this.quantizationBlocking = Objects.requireNonNull(blocking, "blocking");
      return this;
    }

    /** Minimum elements of a quantized statistic >= 0; default 4096. */
    public Builder minQuantizedElements(long minElements) {
      this.minQuantizedElements = minElements;
      return this;
    }

    /** The default base optimizer; default SGD with momentum 0.9. */
    public Builder baseOptimizer(BaseOptimizerSpec spec) {
      this.baseOptimizer = spec;
      return this;
    }

    /**
     * Failed statistic (or root) events of one block in a row that stop training, >= 1; default 3
     * (Meta's Shampoo's choice).
     */
    public Builder maxConsecutiveFailures(int failures) {
      this.maxConsecutiveFailures = failures;
      return this;
    }

    /**
     * The validated configuration.
     *
     * @throws IllegalArgumentException listing every invalid setting and why
     */
    public ShampooConfig build() {
      List<String> problems = new ArrayList<>();
      if (learningRate == null) {
        problems.add("a learning-rate tracker is required");
      }
      if (!Float.isFinite(rescaleGrad) || rescaleGrad == 0f) {
        problems.add("rescaleGrad must be finite and non-zero, got " + rescaleGrad);
      }
      if (Float.isNaN(clipGrad)) {
        problems.add("clipGrad must not be NaN (use a value <= 0 to turn clipping off)");
      }
      if (nonFinitePolicy == null) {
        problems.add("a non-finite gradient policy is required");
      }
      if (!(beta >= 0f && beta < 1f)) {
        problems.add("beta must be in [0, 1), got " + beta);
      }
      if (!(epsilon > 0f) || !Float.isFinite(epsilon)) {
        problems.add("epsilon must be positive and finite, got " + epsilon);
      }
      if (statisticsInterval < 1) {
        problems.add("statistics interval T1 must be >= 1, got " + statisticsInterval);
      }
      if (rootInterval < 1) {
        problems.add("root interval T2 must be >= 1, got " + rootInterval);
      }
      if (maxOrder < 1) {
        problems.add("max order must be >= 1, got " + maxOrder);
      }
      if (rootMethod == null) {
        problems.add("a root method is required");
      }
      if (newtonIterations < 1) {
        problems.add("coupled Newton iterations must be >= 1, got " + newtonIterations);
      }
      if (grafting == null) {
        problems.add("a grafting scope is required (Grafting.OFF turns it off)");
      }
      if (minPreconditionedDimension < 1) {
        problems.add("min preconditioned dimension must be >= 1, got "
            + minPreconditionedDimension);
      }
      problems.addAll(QuantizationSettings.problems(quantizationBits, quantizationBlockSize,
          quantizationBlocking, minQuantizedElements));
      if (baseOptimizer == null) {
        problems.add("a base optimizer spec is required");
      }
      if (maxConsecutiveFailures < 1) {
        problems.add("max consecutive failures must be >= 1, got " + maxConsecutiveFailures);
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("invalid Shampoo configuration: "
            + String.join("; ", problems));
      }
      Objects.requireNonNull(learningRate);
      return new ShampooConfig(this);
    }
  }
}
