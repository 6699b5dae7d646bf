package org.shampoo4j.adamw4;

import java.io.IOException;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.testing.BitExact;
import org.shampoo4j.testing.ResumeVariants;
import org.shampoo4j.testing.TrainingSession;

/**
 * Resume is exact with 4-bit AdamW as the base, as core's {@code ResumeExactnessTest} checks for
 * SGD and AdamW: N steps, save, load into a new model and optimizer, M steps gives the weights of
 * N + M uninterrupted steps bit for bit, alone and under Shampoo with each of core's
 * representations (replicated and sharded), with N and M crossing T1 = 2 and T2 = 3.
 */
class AdamW4ResumeTest {
  /** Blocks of 32, quantized from 16 elements: the test problem's moments are 4-bit. */
  static final Supplier<BaseOptimizer> ADAMW4 = () -> new AdamW4Bit(
      AdamW4BitConfig.builder().weightDecay(0.01f).blockSize(32).minQuantizedElements(16)
          .build());

  @Property(tries = 4, seed = "15")
  void shampooResumesBitForBit(@ForAll ResumeVariants.Representation representation,
      @ForAll @IntRange(min = 1, max = 6) int n, @ForAll @IntRange(min = 1, max = 5) int m)
      throws IOException {
    var optimizers = ResumeVariants.shampoo(representation.make(), ADAMW4,
        ResumeVariants.ADAPTIVE_LEARNING_RATE, Distribution.replicated());
    BitExact.assertIdentical(
        TrainingSession.uninterrupted(ResumeVariants.problem(), optimizers, n + m),
        TrainingSession.resumed(ResumeVariants.problem(), optimizers, n, m));
  }

  @Property(tries = 2, seed = "15")
  void shardedShampooResumesBitForBit(@ForAll ResumeVariants.Representation representation,
      @ForAll @IntRange(min = 1, max = 6) int n, @ForAll @IntRange(min = 1, max = 5) int m)
      throws IOException {
    var optimizers = ResumeVariants.shampoo(representation.make(), ADAMW4,
        ResumeVariants.ADAPTIVE_LEARNING_RATE, ResumeVariants.shardedOnCpu());
    BitExact.assertIdentical(
        TrainingSession.uninterrupted(ResumeVariants.problem(), optimizers, n + m),
        TrainingSession.resumed(ResumeVariants.problem(), optimizers, n, m));
  }

  @Property(tries = 2, seed = "15")
  void aloneResumesBitForBit(@ForAll @IntRange(min = 1, max = 6) int n,
      @ForAll @IntRange(min = 1, max = 6) int m) throws IOException {
    var optimizers = ResumeVariants.alone(ADAMW4, ResumeVariants.ADAPTIVE_LEARNING_RATE);
    BitExact.assertIdentical(
        TrainingSession.uninterrupted(ResumeVariants.problem(), optimizers, n + m),
        TrainingSession.resumed(ResumeVariants.problem(), optimizers, n, m));
  }
}
