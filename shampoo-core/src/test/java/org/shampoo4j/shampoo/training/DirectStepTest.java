package org.shampoo4j.shampoo.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.training.optimizer.Optimizer;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.testing.ResumeVariants;
import org.shampoo4j.testing.TrainingSession;

class DirectStepTest {
  private static List<Supplier<? extends Optimizer>> optimizers() {
    return List.of(
        () -> BaseOptimizerAdapter.builder()
            .baseOptimizer(ResumeVariants.base(ResumeVariants.Base.SGD))
            .learningRateTracker(ai.djl.training.tracker.Tracker.fixed(0.05f)).build(),
        ResumeVariants.shampoo(ResumeVariants.Representation.EIGEN_LINEAR2.make(),
            ResumeVariants.Base.ADAMW),
        ResumeVariants.shampoo(ResumeVariants.Representation.FP32.make(),
            ResumeVariants.Base.SGD));
  }

  @Test
  void directStepsTrainAsTrainerStepBitForBit() throws IOException {
    for (Supplier<? extends Optimizer> optimizer : optimizers()) {
      Map<String, float[]> viaTrainer;
      byte[] stateViaTrainer;
      try (TrainingSession s = new TrainingSession(ResumeVariants.problem(), optimizer)) {
        s.train(7, false);
        viaTrainer = s.weights();
        stateViaTrainer = s.saveState();
      }
      try (TrainingSession s = new TrainingSession(ResumeVariants.problem(), optimizer)) {
        s.train(7, true);
        String what = s.optimizer().getClass().getSimpleName();
        assertEquals(viaTrainer.keySet(), s.weights().keySet());
        for (Map.Entry<String, float[]> e : s.weights().entrySet()) {
          assertArrayEquals(viaTrainer.get(e.getKey()), e.getValue(), what + " " + e.getKey());
        }
        assertArrayEquals(stateViaTrainer, s.saveState(), what + ": optimizer state");
      }
    }
  }
}
