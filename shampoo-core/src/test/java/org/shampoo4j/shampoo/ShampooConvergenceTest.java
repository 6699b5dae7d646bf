package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.testing.IllConditionedQuadratic;
import org.shampoo4j.testing.LossCurve;
import org.shampoo4j.testing.Problem;
import org.shampoo4j.testing.SyntheticMlp;
import org.shampoo4j.testing.TrainingHarness;

/**
 * 32-bit Shampoo against its own base, SGD with momentum 0.9, on the two fixtures, same steps,
 * each optimizer at the best learning rate of one shared small grid (so neither side is tuned
 * alone). Small-problem intervals: T1 = 1, T2 = 10 (documented in {@link ShampooConfig}).
 */
class ShampooConvergenceTest {
  @Test
  void quadratic() {
    compare(IllConditionedQuadratic.standard(), new float[] {3e-5f, 1e-4f, 3e-4f, 1e-3f}, 200);
  }

  @Test
  void mlp() {
    compare(SyntheticMlp.standard(), new float[] {0.003f, 0.01f, 0.03f, 0.1f}, 150);
  }

  /** A run that diverges (non-finite gradient, THROW policy) counts as an infinite loss. */
  private static LossCurve trainOrDiverge(Problem problem, ai.djl.training.optimizer.Optimizer o,
      int steps) {
    try {
      return TrainingHarness.train(problem, o, steps);
    } catch (IllegalStateException e) {
      System.out.println(problem.name() + ": diverged: " + e.getMessage());
      return new LossCurve(new float[] {Float.POSITIVE_INFINITY}, Float.POSITIVE_INFINITY);
    }
  }

  private static void compare(Problem problem, float[] grid, int steps) {
    SgdMomentum.Settings sgd = SgdMomentum.builder().momentum(0.9f).settings();
    float bestSgd = Float.POSITIVE_INFINITY;
    float bestShampoo = Float.POSITIVE_INFINITY;
    for (float lr : grid) {
      LossCurve base;
      try (BaseOptimizerAdapter opt = BaseOptimizerAdapter.builder().baseOptimizer(sgd.create())
          .learningRateTracker(Tracker.fixed(lr)).build()) {
        base = trainOrDiverge(problem, opt, steps);
      }
      ShampooConfig config = ShampooConfig.builder().learningRate(lr).baseOptimizer(sgd)
          .statisticsInterval(1).rootInterval(10).build();
      LossCurve shampoo;
      try (ShampooOptimizer opt = ShampooOptimizer.builder().config(config)
          .representation(new FullMatrixRepresentation()).build()) {
        shampoo = trainOrDiverge(problem, opt, steps);
      }
      System.out.printf("%s lr=%g  sgd-momentum: %s%n", problem.name(), lr, base.summary());
      System.out.printf("%s lr=%g  shampoo-32:   %s%n", problem.name(), lr, shampoo.summary());
      if (base.allFinite()) {
        bestSgd = Math.min(bestSgd, base.finalLoss());
      }
      if (shampoo.allFinite()) {
        bestShampoo = Math.min(bestShampoo, shampoo.finalLoss());
      }
    }
    System.out.printf("%s after %d steps, best over lr grid: sgd-momentum %.6g, shampoo-32 %.6g%n",
        problem.name(), steps, bestSgd, bestShampoo);
    assertTrue(bestShampoo < bestSgd, "Shampoo should reach a loss SGD-momentum does not");
  }
}
