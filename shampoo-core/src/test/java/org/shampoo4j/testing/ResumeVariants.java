package org.shampoo4j.testing;

import ai.djl.Device;
import java.util.function.Supplier;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.distributed.DeviceGroup;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.distributed.Sharded;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;

/**
 * Small, fast optimizer settings for checkpoint tests: T1 = 2 and T2 = 3 (so short runs cross
 * both boundaries), max order 12 (so the problem's 16- and 20-wide matrices are blocked), and
 * quantization thresholds low enough that every state kind (4-bit, fp32 fallback) occurs.
 */
public final class ResumeVariants {
  /** T1 of the test configuration. */
  public static final int T1 = 2;
  /** T2 of the test configuration. */
  public static final int T2 = 3;

  private ResumeVariants() {}

  /** The base optimizers Shampoo is tested with. */
  public enum Base {
    /** SGD with momentum 0.9 and weight decay. */
    SGD,
    /** AdamW. */
    ADAMW;

    /** A fresh optimizer of this kind. */
    public BaseOptimizer create() {
      return base(this);
    }

    /** The learning rate the tests use with it. */
    public float learningRate() {
      return this == SGD ? SGD_LEARNING_RATE : ADAPTIVE_LEARNING_RATE;
    }
  }

  /** The learning rate of the tests with SGD. */
  public static final float SGD_LEARNING_RATE = 0.05f;
  /** The learning rate of the tests with adaptive bases (AdamW, 4-bit AdamW in its module). */
  public static final float ADAPTIVE_LEARNING_RATE = 0.01f;

  /** This module's representations, as the resume properties draw them. */
  public enum Representation {
    /** fp32 statistics and roots. */
    FP32(FullMatrixRepresentation::new),
    /** Statistic and root quantized directly, Linear-2 map. */
    NAIVE(() -> new NaiveQuantizedRepresentation(new Linear2Map())),
    /** 4-bit eigenvectors + Björck, Linear-2 map. */
    EIGEN_LINEAR2(() -> EigenBjorckRepresentation.builder(new Linear2Map()).build()),
    /** 4-bit eigenvectors + Björck, dynamic-tree map. */
    EIGEN_DT(() -> EigenBjorckRepresentation.builder(new DynamicTreeMap()).build());

    private final Supplier<PreconditionerRepresentation> make;

    Representation(Supplier<PreconditionerRepresentation> make) {
      this.make = make;
    }

    /** Fresh representations of this kind. */
    public Supplier<PreconditionerRepresentation> make() {
      return make;
    }
  }

  /** The test problem: an MLP 20 → 16 → 16 → 4 on 64 samples. */
  public static Problem problem() {
    return new SyntheticMlp(64, 20, 16, 4, 3);
  }

  /** A fresh base optimizer of a kind. */
  public static BaseOptimizer base(Base base) {
    return switch (base) {
      case SGD -> SgdMomentum.builder().momentum(0.9f).weightDecay(1e-3f).build();
      case ADAMW -> AdamW.builder().weightDecay(0.01f).build();
    };
  }

  /** The Shampoo configuration of the tests with learning rate {@code lr}. */
  public static ShampooConfig config(float lr) {
    return ShampooConfig.builder()
        .learningRate(lr)
        .statisticsInterval(T1)
        .rootInterval(T2)
        .maxOrder(12)
        .quantizationBlockSize(32)
        .minQuantizedElements(64)
        .build();
  }

  /** Fresh Shampoo optimizers with a representation and a base. */
  public static Supplier<ShampooOptimizer> shampoo(
      Supplier<PreconditionerRepresentation> representation, Base base) {
    return shampoo(representation, base, Distribution.replicated());
  }

  /**
   * Fresh Shampoo optimizers with a representation, a base and a distribution (sharded over one
   * CPU device: the per-block base states and owner bookkeeping without a second device).
   */
  public static Supplier<ShampooOptimizer> shampoo(
      Supplier<PreconditionerRepresentation> representation, Base base,
      Distribution distribution) {
    return shampoo(representation, base::create, base.learningRate(), distribution);
  }

  /**
   * Fresh Shampoo optimizers with a representation, a base of another module (made by {@code
   * base}), its learning rate and a distribution.
   */
  public static Supplier<ShampooOptimizer> shampoo(
      Supplier<PreconditionerRepresentation> representation, Supplier<BaseOptimizer> base,
      float learningRate, Distribution distribution) {
    return () -> ShampooOptimizer.builder()
        .config(config(learningRate))
        .representation(representation.get())
        .baseOptimizer(base.get())
        .distribution(distribution)
        .build();
  }

  /** Sharded over the CPU alone. */
  public static Distribution shardedOnCpu() {
    return Sharded.builder(DeviceGroup.of(Device.cpu())).build();
  }

  /** Fresh standalone base optimizers (DJL adapters). */
  public static Supplier<BaseOptimizerAdapter> alone(Base base) {
    return alone(base::create, base.learningRate());
  }

  /** Fresh standalone base optimizers of another module (DJL adapters). */
  public static Supplier<BaseOptimizerAdapter> alone(Supplier<BaseOptimizer> base,
      float learningRate) {
    return () -> BaseOptimizerAdapter.builder()
        .baseOptimizer(base.get())
        .learningRateTracker(ai.djl.training.tracker.Tracker.fixed(learningRate))
        .build();
  }
}
