package org.shampoo4j.testing;

import ai.djl.Device;
import java.util.function.Supplier;
import org.shampoo4j.adamw4.AdamW4Bit;
import org.shampoo4j.adamw4.AdamW4BitConfig;
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
    ADAMW,
    /** 4-bit AdamW with thresholds low enough that the test's moments are quantized. */
    ADAMW4
  }

  /** The test problem: an MLP 20 → 16 → 16 → 4 on 64 samples. */
  public static Problem problem() {
    return new SyntheticMlp(64, 20, 16, 4, 3);
  }

  /** The 4-bit AdamW configuration (blocks of 32, quantized from 16 elements). */
  public static AdamW4BitConfig adamw4() {
    return AdamW4BitConfig.builder().weightDecay(0.01f).blockSize(32).minQuantizedElements(16)
        .build();
  }

  /** A fresh base optimizer of a kind. */
  public static BaseOptimizer base(Base base) {
    return switch (base) {
      case SGD -> SgdMomentum.builder().momentum(0.9f).weightDecay(1e-3f).build();
      case ADAMW -> AdamW.builder().weightDecay(0.01f).build();
      case ADAMW4 -> new AdamW4Bit(adamw4());
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
    float lr = base == Base.SGD ? 0.05f : 0.01f;
    return () -> ShampooOptimizer.builder()
        .config(config(lr))
        .representation(representation.get())
        .baseOptimizer(base(base))
        .distribution(distribution)
        .build();
  }

  /** Sharded over the CPU alone. */
  public static Distribution shardedOnCpu() {
    return Sharded.builder(DeviceGroup.of(Device.cpu())).build();
  }

  /** Fresh standalone base optimizers (DJL adapters). */
  public static Supplier<BaseOptimizerAdapter> alone(Base base) {
    float lr = base == Base.SGD ? 0.05f : 0.01f;
    return () -> BaseOptimizerAdapter.builder()
        .baseOptimizer(base(base))
        .learningRateTracker(ai.djl.training.tracker.Tracker.fixed(lr))
        .build();
  }
}
