package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.tracker.Tracker;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;

/** Single steps driven directly (no Trainer): gradient handling, the base-only path, leaks. */
class ShampooStepTest {

  private static NDArray random(NDManager m, Shape shape, Random r, float scale) {
    float[] v = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * scale);
    }
    return m.create(v, shape);
  }

  /** rescaleGrad then clipGrad, applied before plain SGD: w ← w − lr·clip(s·g, ±c). */
  @Test
  void rescaleAndClipAreHonoured() {
    ShampooConfig config = ShampooConfig.builder().learningRate(0.1f).rescaleGrad(0.5f)
        .clipGrad(0.3f).baseOptimizer(SgdMomentum.builder().momentum(0f).settings()).build();
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = ShampooOptimizer.builder().config(config)
            .representation(new FullMatrixRepresentation()).build()) {
      NDArray w = m.zeros(new Shape(2, 2));
      opt.update("w", w, m.create(new float[] {0.2f, -0.4f, 2f, -3f}, new Shape(2, 2)));
      assertArrayEquals(new float[] {-0.01f, 0.02f, -0.03f, 0.03f}, w.toFloatArray(), 1e-7f);
    }
  }

  /** A bias (rank 1) and a tiny (1, n) weight go through the base optimizer alone. */
  @Test
  void rankOneAndTinyParametersUseTheBaseAlone() {
    ShampooConfig config = ShampooConfig.builder().learningRate(0.05f).statisticsInterval(1)
        .rootInterval(1).build();
    Random r = new Random(1);
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer shampoo = ShampooOptimizer.builder().config(config)
            .representation(new FullMatrixRepresentation()).build();
        BaseOptimizerAdapter base = BaseOptimizerAdapter.builder()
            .baseOptimizer(config.baseOptimizer().create())
            .learningRateTracker(Tracker.fixed(0.05f)).build()) {
      for (Shape shape : new Shape[] {new Shape(7), new Shape(1, 9)}) {
        NDArray a = random(m, shape, r, 1f);
        NDArray b = a.duplicate();
        for (int s = 0; s < 5; s++) {
          NDArray g = random(m, shape, r, 1f);
          shampoo.update("p" + shape, a, g);
          base.update("p" + shape, b, g);
        }
        assertArrayEquals(b.toFloatArray(), a.toFloatArray(), 0f);
        assertTrue(shampoo.layout("p" + shape).isEmpty());
      }
      assertFalse(shampoo.memoryReport().parameters().get(0).preconditioned());
    }
  }

  /** Roots on from step 1: the step must change direction, yet keep the gradient's norm. */
  @Test
  void graftingKeepsTheGradientNorm() {
    ShampooConfig config = ShampooConfig.builder().learningRate(1f).statisticsInterval(1)
        .rootInterval(1).baseOptimizer(SgdMomentum.builder().momentum(0f).settings()).build();
    Random r = new Random(2);
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = ShampooOptimizer.builder().config(config)
            .representation(new FullMatrixRepresentation()).build()) {
      for (int s = 0; s < 4; s++) {
        NDArray w = m.zeros(new Shape(5, 8));
        NDArray g = random(m, new Shape(5, 8), r, 1f).mul(m.arange(1f, 9f));
        opt.update("w", w, g);
        // With lr 1 and plain SGD the step is −P: its norm is ‖G‖ after grafting.
        float stepNorm = w.norm().getFloat();
        float gradNorm = g.norm().getFloat();
        float cosine = w.neg().mul(g).sum().getFloat() / (stepNorm * gradNorm);
        System.out.printf("step %d: ‖P‖ = %.5f, ‖G‖ = %.5f, cos(P, G) = %.4f%n", s + 1, stepNorm,
            gradNorm, cosine);
        assertEquals(gradNorm, stepNorm, 1e-4f * gradNorm);
        assertTrue(cosine < 0.9999f, "preconditioning must change the direction");
      }
    }
  }

  /** The memory report can show the block's parameter names instead of DJL's uids. */
  @Test
  void memoryReportNamesParametersByTheirBlockPaths() {
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = ShampooOptimizer.builder().config(ShampooConfig.builder().build())
            .representation(new FullMatrixRepresentation()).build()) {
      ai.djl.nn.Block block = org.shampoo4j.testing.SyntheticMlp.standard().newBlock();
      block.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, new Shape(8, 20));
      java.util.Set<String> names = new java.util.HashSet<>();
      for (var p : block.getParameters()) {
        NDArray w = p.getValue().getArray();
        opt.update(p.getValue().getId(), w, w.onesLike());
        names.add(p.getKey());
      }
      var report = opt.memoryReport().withParameterNames(block);
      System.out.print(report.toTable());
      java.util.Set<String> reported = new java.util.HashSet<>();
      report.parameters().forEach(p -> reported.add(p.parameterId()));
      assertEquals(names, reported);
      assertEquals(opt.memoryReport().total(), report.total());
    }
  }

  /** The optimizer must not leave arrays in the caller's managers. */
  @Test
  void stepsDoNotLeakIntoTheCallersManager() {
    ShampooConfig config = ShampooConfig.builder().statisticsInterval(1).rootInterval(2)
        .maxOrder(4).build();
    Random r = new Random(3);
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = ShampooOptimizer.builder().config(config)
            .representation(new FullMatrixRepresentation()).build()) {
      NDArray w = random(m, new Shape(6, 5), r, 1f);
      NDArray b = random(m, new Shape(5), r, 1f);
      int before = -1;
      for (int s = 0; s < 6; s++) {
        try (NDArray g = random(m, new Shape(6, 5), r, 1f);
            NDArray gb = random(m, new Shape(5), r, 1f)) {
          opt.update("w", w, g);
          opt.update("b", b, gb);
        }
        int now = m.getManagedArrays().size();
        if (s == 1) {
          before = now;
        }
        if (s > 1) {
          assertEquals(before, now, "arrays accumulate in the caller's manager");
        }
      }
      System.out.println("caller's manager holds " + before + " arrays after every step");
    }
  }
}
