package org.shampoo4j.shampoo.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.shampoo4j.testing.StepOutcome;

/**
 * The fused base step ({@link BaseOptimizerAdapter.Builder#fusedStep}) gives the per-parameter
 * path's results bit for bit: the same weights and the same {@code saveState} bytes after several
 * steps, for SGD with and without momentum, Nesterov and weight decay and for AdamW, with
 * rescale and clip, for parameters of several shapes and of float32 and float64, under {@link
 * NonFinitePolicy#GUARDED} (bad gradients included) and {@link NonFinitePolicy#UNCHECKED}; and
 * updates out of the learned order, incomplete steps and checkpoints lose or delay nothing.
 */
class FusedBaseStepTest {
  private static final Shape[] SHAPES = {
      new Shape(16, 12), new Shape(12), new Shape(3, 2, 2, 2), new Shape(1)};
  private static final DataType[] TYPES = {
      DataType.FLOAT32, DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT32};

  private static List<Supplier<BaseOptimizer>> bases() {
    return List.of(() -> SgdMomentum.builder().momentum(0f).build(),
        () -> SgdMomentum.builder().momentum(0f).weightDecay(5e-3f).build(),
        () -> SgdMomentum.builder().momentum(0.9f).build(),
        () -> SgdMomentum.builder().momentum(0.9f).weightDecay(1e-3f).build(),
        () -> SgdMomentum.builder().momentum(0.8f).nesterov(true).weightDecay(1e-3f).build(),
        () -> AdamW.builder().weightDecay(0f).build(),
        () -> AdamW.builder().weightDecay(0.01f).build());
  }

  /** What a run left behind: every weight's bytes, the checkpoint, and the errors it threw. */
  /** A step plan: per step, the parameters updated in order, and a bad gradient (or none). */
  private record Plan(int[][] order, int badStep, int badParameter, float bad) {
    static Plan steps(int n) {
      int[][] order = new int[n][];
      for (int s = 0; s < n; s++) {
        order[s] = new int[] {0, 1, 2, 3};
      }
      return new Plan(order, -1, -1, 0f);
    }

    Plan withBad(int step, int parameter, float value) {
      return new Plan(order, step, parameter, value);
    }
  }

  private static StepOutcome run(Supplier<BaseOptimizer> base, boolean fused, NonFinitePolicy policy,
      float rescale, float clip, Plan plan) {
    try (NDManager m = NDManager.newBaseManager();
        BaseOptimizerAdapter opt = BaseOptimizerAdapter.builder().baseOptimizer(base.get())
            .fusedStep(fused).nonFinitePolicy(policy).rescaleGrad(rescale).clipGrad(clip)
            .learningRateTracker(ai.djl.training.tracker.Tracker.fixed(0.05f)).build()) {
      assertEquals(fused, opt.fused());
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (int i = 0; i < SHAPES.length; i++) {
        params.put("p" + i, init(m, SHAPES[i], TYPES[i], i));
      }
      List<String> errors = new ArrayList<>();
      for (int s = 0; s < plan.order().length; s++) {
        Random random = new Random(1000 + s);
        for (int i : plan.order()[s]) {
          NDArray w = params.get("p" + i);
          float[] g = gradient(random, SHAPES[i]);
          if (s == plan.badStep() && i == plan.badParameter()) {
            g[random.nextInt(g.length)] = plan.bad();
          }
          // As DJL's parameter server: a gradient array closed as soon as update returns.
          try (NDArray grad = m.create(g, SHAPES[i]).toType(TYPES[i], false)) {
            opt.update("p" + i, w, grad);
          } catch (IllegalStateException e) {
            errors.add(e.getMessage());
          }
        }
      }
      return StepOutcome.capture(opt, opt::checkGradients, params, errors);
    }
  }

  private static void assertSame(StepOutcome expected, StepOutcome actual, String what) {
    assertEquals(expected.errors(), actual.errors(), what + ": errors");
    assertArrayEquals(expected.checkpoint(), actual.checkpoint(), what + ": checkpoint");
    for (int i = 0; i < expected.weights().size(); i++) {
      assertArrayEquals(expected.weights().get(i), actual.weights().get(i),
          what + ": weight p" + i);
    }
  }

  @Test
  void fusedStepsEqualPerParameterStepsBitForBit() {
    for (Supplier<BaseOptimizer> base : bases()) {
      for (NonFinitePolicy policy : new NonFinitePolicy[] {
          NonFinitePolicy.GUARDED, NonFinitePolicy.UNCHECKED}) {
        for (float[] rc : new float[][] {{1f, -1f}, {0.5f, 0.8f}}) {
          Plan plan = Plan.steps(5);
          String what = base.get().name() + " " + base.get().configuration() + " " + policy
              + " rescale " + rc[0] + " clip " + rc[1];
          assertSame(run(base, false, policy, rc[0], rc[1], plan),
              run(base, true, policy, rc[0], rc[1], plan), what);
        }
      }
    }
  }

  @Test
  void badGradientsUnderGuardedGiveThePerParameterOutcome() {
    for (Supplier<BaseOptimizer> base : bases()) {
      for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, 1e30f}) {
        // Bad at the first fused step (state created there for no-momentum-yet parameters is
        // not; the first step learns the order), at a steady step, and at the last step.
        for (int badStep : new int[] {1, 3, 5}) {
          Plan plan = Plan.steps(6).withBad(badStep, badStep % 4, bad);
          StepOutcome reference = run(base, false, NonFinitePolicy.GUARDED, 1f, -1f, plan);
          assertFalse(reference.errors().isEmpty(), "the reference saw the bad gradient");
          assertSame(reference, run(base, true, NonFinitePolicy.GUARDED, 1f, -1f, plan),
              base.get().configuration() + " bad " + bad + " at step " + badStep);
        }
      }
    }
  }

  @Test
  void updatesOutOfTheLearnedOrderAndIncompleteStepsLoseNothing() {
    int[][] order = {
        {0, 1, 2, 3},
        {0, 1, 2, 3},
        {0, 1},          // incomplete: flushed when p0 comes again
        {0, 1, 2, 3},
        {0, 2, 1, 3},    // out of order: p2 flushes p0 early, the rest per parameter
        {1, 2, 3},       // starts with an unexpected key
        {0, 1, 2}};      // incomplete last step: flushed by checkGradients
    for (Supplier<BaseOptimizer> base : bases()) {
      Plan plan = new Plan(order, -1, -1, 0f);
      assertSame(run(base, false, NonFinitePolicy.GUARDED, 1f, -1f, plan),
          run(base, true, NonFinitePolicy.GUARDED, 1f, -1f, plan), base.get().configuration());
    }
  }

  @Test
  void otherPoliciesAndBasesStayPerParameter() {
    for (NonFinitePolicy policy : new NonFinitePolicy[] {
        NonFinitePolicy.THROW, NonFinitePolicy.SKIP, NonFinitePolicy.DEFERRED_THROW}) {
      try (BaseOptimizerAdapter opt = BaseOptimizerAdapter.builder()
          .baseOptimizer(SgdMomentum.builder().build()).nonFinitePolicy(policy).build()) {
        assertFalse(opt.fused(), policy.toString());
      }
    }
    try (BaseOptimizerAdapter opt = BaseOptimizerAdapter.builder()
        .baseOptimizer(AdamW.builder().build()).build()) {
      assertTrue(opt.fused(), "fused by default");
    }
  }

  @Test
  void fusedStepsZeroTheWeightsGradientsWithAutogradOn() {
    byte[][] results = new byte[2][];
    for (int f = 0; f < 2; f++) {
      try (NDManager m = NDManager.newBaseManager();
          BaseOptimizerAdapter opt = BaseOptimizerAdapter.builder()
              .baseOptimizer(SgdMomentum.builder().momentum(0.9f).build())
              .fusedStep(f == 1).build()) {
        NDArray w = init(m, SHAPES[0], DataType.FLOAT32, 7);
        NDArray b = init(m, SHAPES[1], DataType.FLOAT32, 8);
        w.setRequiresGradient(true);
        b.setRequiresGradient(true);
        for (int s = 0; s < 4; s++) {
          try (GradientCollector collector = m.getEngine().newGradientCollector()) {
            NDArray loss = w.square().sum().add(b.mul(w.get(0)).sum());
            collector.backward(loss);
          }
          for (NDArray[] pw : new NDArray[][] {{w}, {b}}) {
            String id = pw[0] == w ? "w" : "b";
            try (NDArray grad = pw[0].getGradient().duplicate()) {
              opt.update(id, pw[0], grad);
            }
          }
          assertEquals(0f, w.getGradient().abs().sum().getFloat(), "w's gradient cleared");
          assertEquals(0f, b.getGradient().abs().sum().getFloat(), "b's gradient cleared");
        }
        opt.checkGradients();
        results[f] = w.toByteArray();
      }
    }
    assertArrayEquals(results[0], results[1]);
  }

  private static NDArray init(NDManager m, Shape shape, DataType type, int seed) {
    Random random = new Random(seed);
    float[] v = new float[(int) shape.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian() * 0.3f;
    }
    NDArray a = m.create(v, shape).toType(type, false);
    return a;
  }

  private static float[] gradient(Random random, Shape shape) {
    float[] g = new float[(int) shape.size()];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    return g;
  }
}
