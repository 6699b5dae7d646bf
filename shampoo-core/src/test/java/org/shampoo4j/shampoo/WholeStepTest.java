package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.shampoo4j.shampoo.state.ParameterSet;
import org.shampoo4j.testing.ResumeVariants;
import org.junit.jupiter.api.Test;

/**
 * {@link ShampooOptimizer#updateFromGradients} against {@link ShampooOptimizer#update} with each
 * gradient handed over: every step after the first is taken whole (one check, one directions and
 * one base call reading the weights' own gradients; at T1 and T2 the refreshes of all parameters
 * batched together), and the weights and the saved state agree bit for bit; a non-finite gradient
 * in a whole step changes nothing and is reported, at a steady step, a root refresh and a step
 * that refreshes both.
 */
class WholeStepTest {
  private static final int STEPS = 13; // T1 = 2, T2 = 3: steady steps 5, 7, 11, 13
  // A steady step, a step refreshing roots only, one refreshing statistics and roots.
  private static final java.util.Set<Integer> NAN_STEPS = java.util.Set.of(9, 11, 12);

  @Test
  void wholeStepsUpdateAsPerParameterUpdatesBitForBit() throws IOException {
    List<Supplier<ShampooOptimizer>> variants = List.of(
        ResumeVariants.shampoo(ResumeVariants.Representation.EIGEN_LINEAR2.make(),
            ResumeVariants.Base.SGD),
        ResumeVariants.shampoo(ResumeVariants.Representation.FP32.make(),
            ResumeVariants.Base.ADAMW),
        ResumeVariants.shampoo(ResumeVariants.Representation.NAIVE.make(),
            ResumeVariants.Base.SGD));
    for (Supplier<ShampooOptimizer> variant : variants) {
      try (NDManager m = NDManager.newBaseManager();
          ShampooOptimizer whole = variant.get();
          ShampooOptimizer handed = variant.get()) {
        List<NDArray> a = weights(m);
        List<NDArray> b = new ArrayList<>();
        a.forEach(w -> b.add(w.duplicate()));
        b.forEach(w -> w.setRequiresGradient(true));
        List<String> ids = List.of("w", "v", "bias");
        Random random = new Random(5);
        for (int step = 1; step <= STEPS; step++) {
          List<float[]> coefficients = coefficients(a, random, NAN_STEPS.contains(step));
          backward(m, a, coefficients);
          whole.updateFromGradients(ids, a);
          backward(m, b, coefficients);
          for (int i = 0; i < b.size(); i++) {
            try (NDArray g = b.get(i).getGradient()) {
              handed.update(ids.get(i), b.get(i), g);
            }
          }
          if (NAN_STEPS.contains(step)) {
            String what = whole.representation().name();
            IllegalStateException e =
                assertThrows(IllegalStateException.class, whole::checkGradients, what);
            assertTrue(e.getMessage().contains("'w'"), e.getMessage());
            assertThrows(IllegalStateException.class, handed::checkGradients, what);
          }
        }
        // The first step makes the states; every later one is taken whole.
        assertEquals(STEPS - 1, whole.wholeSteps());
        assertEquals(0, handed.wholeSteps());
        for (int i = 0; i < a.size(); i++) {
          assertArrayEquals(b.get(i).toFloatArray(), a.get(i).toFloatArray(), 0f, ids.get(i));
        }
        assertArrayEquals(state(handed, ids, b), state(whole, ids, a));
      }
    }
  }

  @Test
  void listsOfDifferentLengthAreRefused() {
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer o = ResumeVariants.shampoo(
            ResumeVariants.Representation.FP32.make(), ResumeVariants.Base.SGD).get()) {
      List<NDArray> two = weights(m).subList(0, 2);
      assertThrows(IllegalArgumentException.class,
          () -> o.updateFromGradients(List.of("w"), two));
    }
  }

  private static List<NDArray> weights(NDManager m) {
    Random random = new Random(3);
    List<NDArray> out = new ArrayList<>();
    for (long[] shape : new long[][] {{16, 20}, {12, 16}, {16}}) {
      int n = (int) (shape.length == 2 ? shape[0] * shape[1] : shape[0]);
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        values[i] = (float) random.nextGaussian() * 0.1f;
      }
      NDArray w = m.create(values, new ai.djl.ndarray.types.Shape(shape));
      w.setRequiresGradient(true);
      out.add(w);
    }
    return out;
  }

  private static List<float[]> coefficients(List<NDArray> weights, Random random, boolean nan) {
    List<float[]> out = new ArrayList<>();
    for (NDArray w : weights) {
      float[] c = new float[(int) w.size()];
      for (int i = 0; i < c.length; i++) {
        c[i] = (float) random.nextGaussian();
      }
      out.add(c);
    }
    if (nan) {
      out.get(0)[3] = Float.NaN;
    }
    return out;
  }

  /** Sets each weight's gradient to its coefficients plus w (the gradient of sum(c·w + w²/2)). */
  private static void backward(NDManager m, List<NDArray> weights, List<float[]> coefficients) {
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray loss = null;
      for (int i = 0; i < weights.size(); i++) {
        NDArray w = weights.get(i);
        NDArray term = w.mul(m.create(coefficients.get(i), w.getShape())).sum()
            .add(w.square().sum().div(2));
        loss = loss == null ? term : loss.add(term);
      }
      collector.backward(loss);
    }
  }

  private static byte[] state(ShampooOptimizer o, List<String> ids, List<NDArray> weights)
      throws IOException {
    java.util.Map<String, NDArray> parameters = new java.util.LinkedHashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      parameters.put(ids.get(i), weights.get(i));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    o.saveState(out, ParameterSet.ofIds(parameters));
    return out.toByteArray();
  }
}
