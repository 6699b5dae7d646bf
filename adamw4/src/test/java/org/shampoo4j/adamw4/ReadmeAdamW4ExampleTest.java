package org.shampoo4j.adamw4;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;
import org.shampoo4j.testing.LossCurve;
import org.shampoo4j.testing.SyntheticMlp;
import org.shampoo4j.testing.TrainingHarness;

/** The README's "4-bit AdamW alone" line, verbatim between the markers, compiled and run. */
class ReadmeAdamW4ExampleTest {
  @Test
  void readmeAdamW4AloneTrains() {
    // --- README snippet begins ---
    Optimizer adamw4 =
        AdamW4BitConfig.builder().weightDecay(0.01f).build().djlOptimizer().learningRateTracker(Tracker.fixed(1e-3f)).build();
    // --- README snippet ends ---
    LossCurve adamCurve = TrainingHarness.train(SyntheticMlp.standard(), adamw4, 10);
    assertTrue(adamCurve.finalLoss() < adamCurve.losses()[0]);
  }
}
