package org.shampoo4j.cholesky;

import java.io.IOException;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.adamw4.AdamW4Bit;
import org.shampoo4j.adamw4.AdamW4BitConfig;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.testing.BitExact;
import org.shampoo4j.testing.ResumeVariants;
import org.shampoo4j.testing.TrainingSession;

/**
 * Resume is exact for the Cholesky representation with and without error feedback (factor codes,
 * error codes, scales, diagonal, root and the rejection counters all restored), with N and M
 * crossing T1 = 2 and T2 = 3; the checkpoint's array bytes equal the memory report's (checked by
 * {@link TrainingSession#resumed}).
 */
class CholeskyResumeTest {
  /** Core's bases and 4-bit AdamW (blocks of 32, quantized from 16 elements). */
  enum Base {
    SGD(ResumeVariants.Base.SGD::create, ResumeVariants.Base.SGD.learningRate()),
    ADAMW(ResumeVariants.Base.ADAMW::create, ResumeVariants.Base.ADAMW.learningRate()),
    ADAMW4(() -> new AdamW4Bit(AdamW4BitConfig.builder().weightDecay(0.01f).blockSize(32)
        .minQuantizedElements(16).build()), ResumeVariants.ADAPTIVE_LEARNING_RATE);

    final Supplier<BaseOptimizer> make;
    final float learningRate;

    Base(Supplier<BaseOptimizer> make, float learningRate) {
      this.make = make;
      this.learningRate = learningRate;
    }
  }

  @Property(tries = 5, seed = "15")
  void choleskyResumesBitForBit(@ForAll boolean errorFeedback, @ForAll Base base,
      @ForAll @IntRange(min = 1, max = 6) int n, @ForAll @IntRange(min = 1, max = 5) int m)
      throws IOException {
    var optimizers = ResumeVariants.shampoo(() -> new CholeskyEfRepresentation(new Linear2Map(),
        CholeskyEfConfig.builder().errorFeedback(errorFeedback).build()), base.make,
        base.learningRate, Distribution.replicated());
    BitExact.assertIdentical(
        TrainingSession.uninterrupted(ResumeVariants.problem(), optimizers, n + m),
        TrainingSession.resumed(ResumeVariants.problem(), optimizers, n, m));
  }
}
