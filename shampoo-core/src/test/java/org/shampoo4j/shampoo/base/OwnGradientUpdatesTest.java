package org.shampoo4j.shampoo.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.tracker.Tracker;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link BaseOptimizerAdapter#updateFromGradients} (one fused call reading each weight's own
 * gradient) against {@link BaseOptimizerAdapter#update} with the gradients handed over: the same
 * weights bit for bit, and under GUARDED a non-finite gradient changes nothing and is reported.
 */
class OwnGradientUpdatesTest {

  @Test
  void ownGradientsUpdateAsHandedGradientsBitForBit() {
    try (NDManager m = NDManager.newBaseManager();
        BaseOptimizerAdapter own = adapter();
        BaseOptimizerAdapter handed = adapter()) {
      NDArray a1 = m.create(new float[] {1f, -2f, 3f});
      NDArray a2 = m.create(new float[] {0.5f, 0.25f});
      NDArray b1 = a1.duplicate();
      NDArray b2 = a2.duplicate();
      for (NDArray w : List.of(a1, a2, b1, b2)) {
        w.setRequiresGradient(true);
      }
      for (int step = 1; step <= 4; step++) {
        float[] c1 = {0.3f * step, -1.1f, 2f / step};
        float[] c2 = {-0.7f, 0.9f * step};
        backward(m, List.of(a1, a2), List.of(c1, c2));
        own.updateFromGradients(List.of("w1", "w2"), List.of(a1, a2));
        backward(m, List.of(b1, b2), List.of(c1, c2));
        try (NDArray g1 = b1.getGradient(); NDArray g2 = b2.getGradient()) {
          handed.update("w1", b1, g1);
          handed.update("w2", b2, g2);
        }
      }
      own.checkGradients();
      handed.checkGradients();
      assertArrayEquals(b1.toFloatArray(), a1.toFloatArray(), 0f);
      assertArrayEquals(b2.toFloatArray(), a2.toFloatArray(), 0f);
    }
  }

  @Test
  void aNonFiniteOwnGradientChangesNothingAndIsReported() {
    try (NDManager m = NDManager.newBaseManager(); BaseOptimizerAdapter own = adapter()) {
      NDArray w1 = m.create(new float[] {1f, 2f});
      NDArray w2 = m.create(new float[] {3f});
      w1.setRequiresGradient(true);
      w2.setRequiresGradient(true);
      backward(m, List.of(w1, w2), List.of(new float[] {1f, 1f}, new float[] {1f}));
      own.updateFromGradients(List.of("w1", "w2"), List.of(w1, w2)); // learns nothing: fine
      float[] before = w1.toFloatArray();
      backward(m, List.of(w1, w2), List.of(new float[] {Float.NaN, 1f}, new float[] {1f}));
      own.updateFromGradients(List.of("w1", "w2"), List.of(w1, w2));
      IllegalStateException e = assertThrows(IllegalStateException.class, own::checkGradients);
      assertTrue(e.getMessage().contains("w1"), e.getMessage());
      assertArrayEquals(before, w1.toFloatArray(), 0f);
    }
  }

  @Test
  void listsOfDifferentLengthAreRefused() {
    try (NDManager m = NDManager.newBaseManager(); BaseOptimizerAdapter own = adapter()) {
      assertThrows(IllegalArgumentException.class,
          () -> own.updateFromGradients(List.of("a", "b"), List.of(m.zeros(new ai.djl.ndarray.types.Shape(1)))));
    }
  }

  private static BaseOptimizerAdapter adapter() {
    return BaseOptimizerAdapter.builder()
        .baseOptimizer(SgdMomentum.builder().momentum(0.9f).build())
        .learningRateTracker(Tracker.fixed(0.1f)).build();
  }

  /** Sets each weight's gradient to its coefficients: the gradient of sum(c * w). */
  private static void backward(NDManager m, List<NDArray> weights, List<float[]> coefficients) {
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray loss = null;
      for (int i = 0; i < weights.size(); i++) {
        NDArray term = weights.get(i).mul(m.create(coefficients.get(i))).sum();
        loss = loss == null ? term : loss.add(term);
      }
      collector.backward(loss);
    }
  }
}
