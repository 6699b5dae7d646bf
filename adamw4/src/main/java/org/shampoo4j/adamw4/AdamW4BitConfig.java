package org.shampoo4j.adamw4;

import java.util.Objects;
import org.shampoo4j.quant.Blocking;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.QuantizationSettings;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.ZeroFreeLinearMap;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.base.BaseOptimizerSpec;

/**
 * The immutable configuration of {@link AdamW4Bit}, which is also a {@link BaseOptimizerSpec}:
 * {@link #create()} makes a fresh optimizer with no state. Defaults follow docs/algorithms.md §5 and the paper
 * (Li et al., "Memory Efficient Optimizers with 4-bit States", NeurIPS 2023): β1 = 0.9, β2 =
 * 0.999, eps = 1e-8, no weight decay; first moment with the signed dynamic-exponent map in blocks
 * of 128; second moment with rank-1 normalization and the linear map without zero (vectors in
 * blocks of 128); tensors under 4096 elements kept fp32. The learning rate is not part of the
 * configuration: the caller passes it with every step.
 */
public final class AdamW4BitConfig implements BaseOptimizerSpec {
  /** Block size of AdamW states (docs/algorithms.md §2). */
  public static final int DEFAULT_BLOCK_SIZE = 128;

  /** Code width of both moments. */
  public static final int DEFAULT_BITS = QuantizationSettings.DEFAULT_BITS;

  private final float beta1;
  private final float beta2;
  private final float epsilon;
  private final float weightDecay;
  private final QuantizationSettings quantization;
  private final MomentCodec firstMoment;
  private final MomentCodec secondMoment;

  private AdamW4BitConfig(Builder b) {
    this.beta1 = b.beta1;
    this.beta2 = b.beta2;
    this.epsilon = b.epsilon;
    this.weightDecay = b.weightDecay;
    this.quantization = b.quantization.build();
    // A default codebook is made only for a moment whose storage is not replaced.
    this.firstMoment = b.firstMoment != null ? b.firstMoment
        : MomentCodec.blockwise(spec(b.firstCodebook != null ? b.firstCodebook
            : new DynamicTreeMap().codebook(quantization.bits()), quantization));
    this.secondMoment = b.secondMoment != null ? b.secondMoment
        : MomentCodec.rank1(spec(b.secondCodebook != null ? b.secondCodebook
            : new ZeroFreeLinearMap().codebook(quantization.bits()), quantization));
  }

  // A codebook given to the builder keeps its own width; the settings give the rest.
  private static QuantizationSpec spec(Codebook codebook, QuantizationSettings settings) {
    return QuantizationSpec.of(codebook, settings.toBuilder().bits(codebook.bits()).build());
  }

  /** A builder with the paper's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The configuration with every default. */
  public static AdamW4BitConfig defaults() {
    return builder().build();
  }

  /** Exponential decay of the first moment. */
  public float beta1() {
    return beta1;
  }

  /** Exponential decay of the second moment. */
  public float beta2() {
    return beta2;
  }

  /** Added to {@code √v̂} in the denominator. */
  public float epsilon() {
    return epsilon;
  }

  /** Decoupled weight decay: each step multiplies the weight by {@code 1 − lr·weightDecay}. */
  public float weightDecay() {
    return weightDecay;
  }

  /**
   * The quantization settings of both moments (unless a moment's storage is replaced): block
   * size, blocking ({@link Blocking#FLAT}), minimum quantized size, and the width of the default
   * codebooks (a codebook given to the builder keeps its own width).
   */
  public QuantizationSettings quantization() {
    return quantization;
  }

  /** How the first moment is stored. */
  public MomentCodec firstMoment() {
    return firstMoment;
  }

  /** How the second moment is stored. */
  public MomentCodec secondMoment() {
    return secondMoment;
  }

  /** {@code adamw-4bit}. */
  @Override
  public String name() {
    return AdamW4Bit.NAME;
  }

  /** A new optimizer with this configuration and no state yet. */
  @Override
  public BaseOptimizer create() {
    return new AdamW4Bit(this);
  }

  /**
   * A DJL optimizer running a fresh {@link AdamW4Bit} with this configuration, for standalone use
   * ({@code DefaultTrainingConfig.optOptimizer(...)}): the returned builder of {@link
   * BaseOptimizerAdapter} takes the learning-rate tracker, gradient rescale/clip and the
   * non-finite gradient policy; the adapter owns and closes the optimizer.
   */
  public BaseOptimizerAdapter.Builder djlOptimizer() {
    return BaseOptimizerAdapter.builder().baseOptimizer(create());
  }

  @Override
  public String toString() {
    return "AdamW4BitConfig[beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + epsilon
        + ", weightDecay=" + weightDecay + ", m=" + firstMoment.describe() + ", v="
        + secondMoment.describe() + "]";
  }

  /** Builder of {@link AdamW4BitConfig}. */
  public static final class Builder {
    private float beta1 = 0.9f;
    private float beta2 = 0.999f;
    private float epsilon = 1e-8f;
    private float weightDecay = 0f;
    private QuantizationSettings.Builder quantization = QuantizationSettings.builder()
        .bits(DEFAULT_BITS).blockSize(DEFAULT_BLOCK_SIZE).blocking(Blocking.FLAT);
    // Null: the default map at the settings' width.
    private Codebook firstCodebook;
    private Codebook secondCodebook;
    private MomentCodec firstMoment;
    private MomentCodec secondMoment;

    private Builder() {}

    /** First-moment decay, in [0, 1). */
    public Builder beta1(float beta1) {
      this.beta1 = requireDecay("beta1", beta1);
      return this;
    }

    /** Second-moment decay, in [0, 1). */
    public Builder beta2(float beta2) {
      this.beta2 = requireDecay("beta2", beta2);
      return this;
    }

    /** Denominator offset, finite and positive. */
    public Builder epsilon(float epsilon) {
      if (!Float.isFinite(epsilon) || epsilon <= 0f) {
        throw new IllegalArgumentException("epsilon must be finite and positive, got " + epsilon);
      }
      this.epsilon = epsilon;
      return this;
    }

    /** Decoupled weight decay, finite and non-negative. */
    public Builder weightDecay(float weightDecay) {
      if (!Float.isFinite(weightDecay) || weightDecay < 0f) {
        throw new IllegalArgumentException(
            "weight decay must be finite and non-negative, got " + weightDecay);
      }
      this.weightDecay = weightDecay;
      return this;
    }

    /** Block size of the first moment and of vector second moments (positive; default 128). */
    public Builder blockSize(int blockSize) {
      quantization.blockSize(blockSize);
      return this;
    }

    /**
     * Tensors with fewer elements keep fp32 moments (default 4096; {@link Long#MAX_VALUE} makes
     * both moments lossless, the fp32 AdamW reference).
     */
    public Builder minQuantizedElements(long minQuantizedElements) {
      quantization.minQuantizedElements(minQuantizedElements);
      return this;
    }

    /**
     * All quantization settings of both moments at once (default: 4 bits, blocks of 128, {@link
     * Blocking#FLAT}, 4096): the bits are the width of the default codebooks (the dynamic tree
     * map, 2 to 8 bits, and the linear map without zero); a codebook given with {@link
     * #firstMomentCodebook} or {@link #secondMomentCodebook} keeps its own width.
     */
    public Builder quantization(QuantizationSettings settings) {
      this.quantization = Objects.requireNonNull(settings, "settings").toBuilder();
      return this;
    }

    /** The first moment's codebook (default: dynamic tree at the settings' bits), block-wise. */
    public Builder firstMomentCodebook(Codebook codebook) {
      this.firstCodebook = Objects.requireNonNull(codebook, "codebook");
      return this;
    }

    /**
     * The second moment's codebook (default: linear without zero at the settings' bits), rank-1
     * normalized.
     */
    public Builder secondMomentCodebook(Codebook codebook) {
      this.secondCodebook = Objects.requireNonNull(codebook, "codebook");
      return this;
    }

    /**
     * Replaces the first moment's storage entirely (for ablations); overrides {@link
     * #firstMomentCodebook}, {@link #blockSize} and {@link #minQuantizedElements} for it.
     */
    public Builder firstMoment(MomentCodec codec) {
      this.firstMoment = Objects.requireNonNull(codec, "codec");
      return this;
    }

    /**
     * Replaces the second moment's storage entirely (for ablations, for example block-wise with a
     * map that contains zero); overrides {@link #secondMomentCodebook}, {@link #blockSize} and
     * {@link #minQuantizedElements} for it.
     */
    public Builder secondMoment(MomentCodec codec) {
      this.secondMoment = Objects.requireNonNull(codec, "codec");
      return this;
    }

    /** Builds the configuration. */
    public AdamW4BitConfig build() {
      return new AdamW4BitConfig(this);
    }

    private static float requireDecay(String name, float beta) {
      if (!(beta >= 0f && beta < 1f)) {
        throw new IllegalArgumentException(name + " must be in [0, 1), got " + beta);
      }
      return beta;
    }
  }
}
