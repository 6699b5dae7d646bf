package org.shampoo4j.shampoo.state;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.training.tracker.MultiFactorTracker;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import java.io.IOException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.testing.BitExact;
import org.shampoo4j.testing.ResumeVariants;
import org.shampoo4j.testing.TrainingSession;

/**
 * The learning-rate tracker's part of a checkpoint: a resume under a schedule continues with the
 * uninterrupted run's rates bit for bit with nothing but the optimizer's checkpoint (no help from
 * the caller), also with DJL's stateful {@code MultiFactorTracker}; and a resume with another
 * schedule, or the same schedule over another length, is refused instead of going on with other
 * rates.
 */
class LearningRateResumeTest {
  /** Linear warm-up over 3 steps, then cosine decay to 0 at step {@code total}. */
  private static Tracker warmupCosine(float peak, int total) {
    return step -> step <= 3 ? peak * step / 3
        : (float) (peak * 0.5 * (1 + Math.cos(Math.PI * Math.min(1.0, (step - 3.0) / (total - 3)))));
  }

  private static Supplier<ShampooOptimizer> shampoo(Supplier<ParameterTracker> tracker) {
    return () -> ShampooOptimizer.builder()
        .config(ShampooConfig.builder().learningRateTracker(tracker.get())
            .statisticsInterval(ResumeVariants.T1).rootInterval(ResumeVariants.T2).maxOrder(12)
            .build())
        .representation(new FullMatrixRepresentation())
        .baseOptimizer(ResumeVariants.base(ResumeVariants.Base.SGD))
        .build();
  }

  private static Supplier<BaseOptimizerAdapter> alone(Supplier<ParameterTracker> tracker) {
    return () -> BaseOptimizerAdapter.builder()
        .baseOptimizer(ResumeVariants.base(ResumeVariants.Base.ADAMW))
        .learningRateTracker(tracker.get())
        .build();
  }

  @Test
  void aScheduleResumesBitForBitFromTheCheckpointAlone() throws IOException {
    Supplier<ParameterTracker> cosine = () -> warmupCosine(0.05f, 12);
    Supplier<ParameterTracker> stepped = () -> MultiFactorTracker.builder()
        .setBaseValue(0.05f).setSteps(new int[] {3, 6}).optFactor(0.5f).build();
    for (Supplier<ParameterTracker> tracker : java.util.List.of(cosine, stepped)) {
      BitExact.assertIdentical(
          TrainingSession.uninterrupted(ResumeVariants.problem(), shampoo(tracker), 12),
          TrainingSession.resumed(ResumeVariants.problem(), shampoo(tracker), 5, 7));
      BitExact.assertIdentical(
          TrainingSession.uninterrupted(ResumeVariants.problem(), alone(tracker), 12),
          TrainingSession.resumed(ResumeVariants.problem(), alone(tracker), 5, 7));
    }
  }

  @Test
  void aResumeWithAnotherScheduleIsRefused() throws IOException {
    assertRefused(shampoo(() -> warmupCosine(0.05f, 12)), shampoo(() -> warmupCosine(0.05f, 24)));
    assertRefused(alone(() -> warmupCosine(0.05f, 12)), alone(() -> Tracker.fixed(0.05f)));
    // Same rate at the saved step, another one at the next: still refused.
    assertRefused(alone(() -> Tracker.fixed(0.05f)), alone(() -> (Tracker) step -> step <= 5 ? 0.05f : 0.01f));
  }

  private static void assertRefused(Supplier<? extends ai.djl.training.optimizer.Optimizer> saved,
      Supplier<? extends ai.djl.training.optimizer.Optimizer> resumed) throws IOException {
    byte[] parameters;
    byte[] state;
    try (TrainingSession first = new TrainingSession(ResumeVariants.problem(), saved)) {
      first.train(5);
      parameters = first.saveParameters();
      state = first.saveState();
    }
    try (TrainingSession second = new TrainingSession(ResumeVariants.problem(), resumed,
        ai.djl.Device.cpu(), parameters)) {
      InvalidCheckpointException e =
          assertThrows(InvalidCheckpointException.class, () -> second.loadState(state));
      assertTrue(e.getMessage().contains("learning-rate tracker gives"), e.getMessage());
    }
  }
}
