package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizerSpec;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.testing.StepOutcome;

/**
 * Shampoo's base stage through the fused base step ({@link
 * ShampooOptimizer.Builder#fusedBaseStep}) gives the per-parameter base updates' results bit for
 * bit: the same weights and checkpoint bytes over steady, T1 and T2 steps, for SGD-momentum,
 * Nesterov and AdamW bases, under {@link NonFinitePolicy#GUARDED} (with a bad gradient),
 * {@link NonFinitePolicy#THROW} and {@link NonFinitePolicy#UNCHECKED}, and with steps out of the
 * learned order.
 */
class ShampooFusedBaseStepTest {
  private static final Shape[] SHAPES = {new Shape(16, 12), new Shape(12), new Shape(6, 5)};

  private static List<BaseOptimizerSpec> bases() {
    return List.of(SgdMomentum.builder().momentum(0.9f).weightDecay(1e-3f).settings(),
        SgdMomentum.builder().momentum(0.8f).nesterov(true).settings(),
        SgdMomentum.builder().momentum(0f).settings(),
        AdamW.builder().weightDecay(0.01f).settings());
  }

  private static StepOutcome run(BaseOptimizerSpec base, NonFinitePolicy policy, boolean fused,
      int[][] order, int badStep, int badParameter) {
    ShampooConfig config = ShampooConfig.builder().baseOptimizer(base).learningRate(0.01f)
        .statisticsInterval(2).rootInterval(4).minQuantizedElements(0)
        .nonFinitePolicy(policy).build();
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = ShampooOptimizer.builder().config(config)
            .representation(new FullMatrixRepresentation()).fusedBaseStep(fused).build()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (int i = 0; i < SHAPES.length; i++) {
        Random random = new Random(i);
        float[] v = new float[(int) SHAPES[i].size()];
        for (int k = 0; k < v.length; k++) {
          v[k] = (float) random.nextGaussian() * 0.3f;
        }
        params.put("p" + i, m.create(v, SHAPES[i]));
      }
      List<String> errors = new ArrayList<>();
      for (int s = 0; s < order.length; s++) {
        Random random = new Random(500 + s);
        for (int i : order[s]) {
          float[] g = new float[(int) SHAPES[i].size()];
          for (int k = 0; k < g.length; k++) {
            g[k] = (float) random.nextGaussian();
          }
          if (s == badStep && i == badParameter) {
            g[random.nextInt(g.length)] = Float.NaN;
          }
          try (NDArray grad = m.create(g, SHAPES[i])) {
            opt.update("p" + i, params.get("p" + i), grad);
          } catch (IllegalStateException e) {
            errors.add(e.getMessage());
          }
        }
      }
      return StepOutcome.capture(opt, opt::checkGradients, params, errors);
    }
  }

  private static int[][] steps(int n) {
    int[][] order = new int[n][];
    for (int s = 0; s < n; s++) {
      order[s] = new int[] {0, 1, 2};
    }
    return order;
  }

  private static void assertSame(StepOutcome expected, StepOutcome actual, String what) {
    assertEquals(expected.errors(), actual.errors(), what + ": errors");
    assertArrayEquals(expected.checkpoint(), actual.checkpoint(), what + ": checkpoint");
    for (int i = 0; i < expected.weights().size(); i++) {
      assertArrayEquals(expected.weights().get(i), actual.weights().get(i), what + ": p" + i);
    }
  }

  @Test
  void fusedBaseStageEqualsPerParameterBaseUpdatesBitForBit() {
    for (BaseOptimizerSpec base : bases()) {
      for (NonFinitePolicy policy : new NonFinitePolicy[] {
          NonFinitePolicy.GUARDED, NonFinitePolicy.THROW, NonFinitePolicy.UNCHECKED}) {
        int[][] order = steps(9);
        assertSame(run(base, policy, false, order, -1, -1), run(base, policy, true, order, -1, -1),
            base + " " + policy);
      }
    }
  }

  @Test
  void badGradientsUnderGuardedGiveThePerParameterOutcome() {
    for (BaseOptimizerSpec base : bases()) {
      // A steady step (3), a T2 step (4, bad preconditioned parameter), the last step (7).
      for (int[] bad : new int[][] {{3, 1}, {4, 0}, {7, 2}}) {
        int[][] order = steps(8);
        StepOutcome reference = run(base, NonFinitePolicy.GUARDED, false, order, bad[0], bad[1]);
        assertFalse(reference.errors().isEmpty());
        assertSame(reference, run(base, NonFinitePolicy.GUARDED, true, order, bad[0], bad[1]),
            base + " bad at step " + bad[0] + " parameter " + bad[1]);
      }
    }
  }

  @Test
  void stepsOutOfTheLearnedOrderLoseNothing() {
    int[][] order = {{0, 1, 2}, {0, 1, 2}, {0, 1}, {0, 1, 2}, {0, 2, 1}, {1, 2}, {0, 1, 2},
        {2, 0}};
    for (BaseOptimizerSpec base : bases()) {
      assertSame(run(base, NonFinitePolicy.GUARDED, false, order, -1, -1),
          run(base, NonFinitePolicy.GUARDED, true, order, -1, -1), base.toString());
      assertSame(run(base, NonFinitePolicy.GUARDED, false, order, 5, 2),
          run(base, NonFinitePolicy.GUARDED, true, order, 5, 2), base + " with a bad gradient");
    }
  }
}
