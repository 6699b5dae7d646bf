package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;

/** Non-finite gradients and invalid settings. */
class BadInputTest {

  private static ShampooOptimizer shampoo(NonFinitePolicy policy) {
    ShampooConfig config = ShampooConfig.builder().nonFinitePolicy(policy)
        .statisticsInterval(1).rootInterval(2).build();
    return ShampooOptimizer.builder().config(config)
        .representation(new FullMatrixRepresentation()).build();
  }

  @Test
  void nanGradientThrowsNamingTheParameter() {
    try (NDManager m = NDManager.newBaseManager(); ShampooOptimizer opt = shampoo(
        NonFinitePolicy.THROW)) {
      NDArray w = m.ones(new Shape(3, 4));
      float[] g = new float[12];
      g[7] = Float.NaN;
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> opt.update("dense0_weight", w, m.create(g, new Shape(3, 4))));
      System.out.println("NaN gradient: " + e.getMessage());
      assertTrue(e.getMessage().contains("'dense0_weight'"), e.getMessage());
      assertTrue(e.getMessage().contains("flat index 7"), e.getMessage());
      assertArrayEquals(m.ones(new Shape(3, 4)).toFloatArray(), w.toFloatArray(), 0f);
    }
  }

  @Test
  void infiniteGradientIsSkippedAndCountedUnderSkip() {
    try (NDManager m = NDManager.newBaseManager(); ShampooOptimizer opt = shampoo(
        NonFinitePolicy.SKIP)) {
      NDArray w = m.ones(new Shape(3, 4));
      NDArray bias = m.ones(new Shape(4));
      float[] g = new float[12];
      g[0] = Float.POSITIVE_INFINITY;
      opt.update("w", w, m.create(g, new Shape(3, 4)));
      opt.update("b", bias, m.create(new float[] {1, Float.NaN, 0, 0}));
      assertEquals(2, opt.skippedUpdates());
      assertArrayEquals(m.ones(new Shape(3, 4)).toFloatArray(), w.toFloatArray(), 0f);
      assertArrayEquals(new float[] {1, 1, 1, 1}, bias.toFloatArray(), 0f);
      // A finite gradient afterwards is applied normally (the fused base step applies a step's
      // base updates when its last parameter arrives; this step stops after "w", so flush).
      opt.update("w", w, m.ones(new Shape(3, 4)));
      opt.flush();
      assertNotEquals(1f, w.toFloatArray()[0]);
      assertEquals(2, opt.memoryReport().skippedUpdates());
      System.out.println("SKIP policy: skipped updates = " + opt.skippedUpdates());
    }
  }

  @Test
  void deferredThrowReadsTheChecksWhenTheNextStepBeginsAndNamesTheParameters() {
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer deferred = shampoo(NonFinitePolicy.DEFERRED_THROW);
        ShampooOptimizer immediate = shampoo(NonFinitePolicy.THROW)) {
      NDArray a = m.ones(new Shape(3, 4));
      NDArray b = m.ones(new Shape(3, 4));
      NDArray bias = m.ones(new Shape(4));
      for (int step = 0; step < 3; step++) {
        NDArray g = m.randomNormal(new Shape(3, 4));
        deferred.update("w", a, g);
        immediate.update("w", b, g);
        deferred.update("bias", bias, m.ones(new Shape(4)));
      }
      // Finite gradients: the same weights as the immediate check, bit for bit.
      assertArrayEquals(b.toFloatArray(), a.toFloatArray(), 0f);
      float[] g = new float[12];
      g[5] = Float.NaN;
      deferred.update("w", a, m.create(g, new Shape(3, 4)));
      deferred.update("bias", bias, m.create(new float[] {0, Float.POSITIVE_INFINITY, 0, 0}));
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> deferred.update("w", a, m.ones(new Shape(3, 4))));
      System.out.println("DEFERRED_THROW: " + e.getMessage());
      assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("'bias'"),
          e.getMessage());
      assertEquals(0, deferred.skippedUpdates());
      // Read and forgotten: the next steps (finite) go on, and an explicit check passes.
      deferred.update("w", a, m.ones(new Shape(3, 4)));
      deferred.checkGradients();
    }
  }

  @Test
  void adapterUsesTheSamePolicy() {
    try (NDManager m = NDManager.newBaseManager();
        BaseOptimizerAdapter opt = BaseOptimizerAdapter.builder()
            .baseOptimizer(SgdMomentum.builder().build())
            .nonFinitePolicy(NonFinitePolicy.THROW).build()) {
      NDArray w = m.ones(new Shape(2));
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> opt.update("fc_bias", w, m.create(new float[] {Float.NEGATIVE_INFINITY, 0})));
      assertTrue(e.getMessage().contains("'fc_bias'"), e.getMessage());
    }
  }

  @Test
  void badHyperParametersAreRejectedWithReasons() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ShampooConfig.builder().beta(1f).epsilon(-1f).statisticsInterval(0)
            .rootInterval(-5).maxOrder(0).newtonIterations(0).quantizationBits(9).build());
    System.out.println("bad config: " + e.getMessage());
    for (String reason : new String[] {"beta must be in [0, 1), got 1.0",
        "epsilon must be positive", "T1 must be >= 1, got 0", "T2 must be >= 1, got -5",
        "max order must be >= 1", "Newton iterations must be >= 1", "bits must be in [1, 8]"}) {
      assertTrue(e.getMessage().contains(reason), "missing reason: " + reason);
    }
    assertThrows(IllegalArgumentException.class,
        () -> ShampooConfig.builder().learningRate(Float.NaN));
    assertThrows(IllegalArgumentException.class,
        () -> ShampooConfig.builder().rescaleGrad(0f).build());
    assertThrows(IllegalArgumentException.class,
        () -> ShampooConfig.builder().clipGrad(Float.NaN).build());
    assertThrows(IllegalArgumentException.class,
        () -> ShampooConfig.builder().minPreconditionedDimension(0).build());
    IllegalArgumentException failures = assertThrows(IllegalArgumentException.class,
        () -> ShampooConfig.builder().maxConsecutiveFailures(0).build());
    assertTrue(failures.getMessage().contains("max consecutive failures must be >= 1"));
    IllegalArgumentException nesterov = assertThrows(IllegalArgumentException.class,
        () -> SgdMomentum.builder().momentum(0f).nesterov(true).settings());
    assertTrue(nesterov.getMessage().contains("Nesterov"));
    assertThrows(IllegalArgumentException.class, () -> SgdMomentum.builder().momentum(1f).build());
    assertThrows(IllegalArgumentException.class,
        () -> SgdMomentum.builder().weightDecay(-1f).build());
    IllegalArgumentException adam = assertThrows(IllegalArgumentException.class,
        () -> AdamW.builder().beta2(1f).build());
    assertTrue(adam.getMessage().contains("beta2"));
    assertThrows(IllegalArgumentException.class, () -> AdamW.builder().epsilon(0f).build());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> ShampooOptimizer.builder().config(ShampooConfig.builder().build()).build());
    assertTrue(missing.getMessage().contains("PreconditionerRepresentation"));
  }

  @Test
  void shapeChangesAreRejected() {
    try (NDManager m = NDManager.newBaseManager(); ShampooOptimizer opt = shampoo(
        NonFinitePolicy.THROW)) {
      opt.update("w", m.ones(new Shape(3, 4)), m.ones(new Shape(3, 4)));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> opt.update("w", m.ones(new Shape(4, 3)), m.ones(new Shape(4, 3))));
      assertTrue(e.getMessage().contains("'w'"), e.getMessage());
    }
  }
}
