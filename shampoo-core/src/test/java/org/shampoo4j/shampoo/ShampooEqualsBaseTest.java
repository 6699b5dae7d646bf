package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.training.optimizer.Optimizer;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.base.BaseOptimizerSpec;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.testing.LossCurve;
import org.shampoo4j.testing.SyntheticMlp;
import org.shampoo4j.testing.TrainingHarness;

/**
 * With the first inverse root beyond the run (T2 > steps), Shampoo's direction is the gradient
 * itself, so Shampoo must follow its base optimizer step for step — here through a real DJL
 * Trainer on the MLP fixture, while the statistics are still accumulated every step (T1 = 1).
 */
class ShampooEqualsBaseTest {
  private static final int STEPS = 30;

  @Test
  void sgdMomentumPath() {
    compare(SgdMomentum.builder().momentum(0.9f).nesterov(true).weightDecay(1e-3f).settings(),
        0.05f);
  }

  @Test
  void adamWPath() {
    compare(AdamW.builder().weightDecay(0.01f).settings(), 0.01f);
  }

  private static void compare(BaseOptimizerSpec spec, float lr) {
    SyntheticMlp problem = SyntheticMlp.standard();
    LossCurve plain;
    try (BaseOptimizerAdapter base = BaseOptimizerAdapter.builder()
        .baseOptimizer(spec.create()).learningRateTracker(
            ai.djl.training.tracker.Tracker.fixed(lr)).build()) {
      plain = TrainingHarness.train(problem, base, STEPS);
    }
    ShampooConfig config = ShampooConfig.builder().learningRate(lr).baseOptimizer(spec)
        .statisticsInterval(1).rootInterval(STEPS + 1).build();
    LossCurve shampoo;
    try (ShampooOptimizer opt = ShampooOptimizer.builder().config(config)
        .representation(new FullMatrixRepresentation()).build()) {
      shampoo = TrainingHarness.train(problem, (Optimizer) opt, STEPS);
    }
    System.out.printf("%s base:    %s%n%s shampoo: %s%n", spec.name(), plain.summary(),
        spec.name(), shampoo.summary());
    assertTrue(plain.finalLoss() < plain.initialLoss(), "the base run must make progress");
    float[] a = plain.losses();
    float[] b = shampoo.losses();
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-6, Math.abs(a[i])));
    }
    worst = Math.max(worst,
        Math.abs(plain.finalLoss() - shampoo.finalLoss()) / Math.abs(plain.finalLoss()));
    System.out.printf("%s: largest relative loss difference over %d steps: %.3g%n", spec.name(),
        STEPS, worst);
    assertEquals(0.0, worst, 1e-5);
  }
}
