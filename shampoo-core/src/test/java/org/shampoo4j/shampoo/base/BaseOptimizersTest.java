package org.shampoo4j.shampoo.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.MemoryFootprint;

/** SGD-momentum and AdamW on the device against plain-Java fp64 transcriptions of their rules. */
class BaseOptimizersTest {

  @Property(tries = 30, seed = "42")
  void sgdMomentumMatchesItsFormula(@ForAll @FloatRange(min = 0f, max = 0.99f) float momentum,
      @ForAll boolean nesterov, @ForAll @FloatRange(min = 0f, max = 0.1f) float weightDecay,
      @ForAll @IntRange(min = 1, max = 40) int n, @ForAll @IntRange(min = 0, max = 1000) int seed) {
    boolean nest = nesterov && momentum > 0f;
    Random r = new Random(seed);
    double[] w = gaussian(r, n);
    double[] b = new double[n];
    float lr = 0.05f;
    try (NDManager m = NDManager.newBaseManager();
        SgdMomentum opt = SgdMomentum.builder().momentum(momentum).nesterov(nest)
            .weightDecay(weightDecay).build()) {
      NDArray wd = m.create(toFloat(w));
      for (int step = 1; step <= 5; step++) {
        double[] g = gaussian(r, n);
        opt.update("p", wd, m.create(toFloat(g)), lr, step);
        for (int i = 0; i < n; i++) {
          double d = g[i] + weightDecay * w[i];
          b[i] = momentum * b[i] + d;
          double u = nest ? d + momentum * b[i] : (momentum == 0f ? d : b[i]);
          w[i] -= lr * u;
        }
      }
      assertClose(w, wd.toFloatArray());
      assertEquals(momentum == 0f ? MemoryFootprint.ZERO : MemoryFootprint.ofFp32(n),
          opt.memory("p"));
    }
  }

  @Property(tries = 30, seed = "43")
  void adamWMatchesItsFormula(@ForAll @FloatRange(min = 0f, max = 0.95f) float beta1,
      @ForAll @FloatRange(min = 0.9f, max = 0.999f) @net.jqwik.api.constraints.Scale(4) float beta2,
      @ForAll @FloatRange(min = 0f, max = 0.1f) float weightDecay,
      @ForAll @IntRange(min = 1, max = 40) int n, @ForAll @IntRange(min = 0, max = 1000) int seed) {
    Random r = new Random(seed);
    double[] w = gaussian(r, n);
    double[] mm = new double[n];
    double[] vv = new double[n];
    float lr = 0.01f;
    float eps = 1e-8f;
    try (NDManager m = NDManager.newBaseManager();
        AdamW opt = AdamW.builder().beta1(beta1).beta2(beta2).epsilon(eps)
            .weightDecay(weightDecay).build()) {
      NDArray wd = m.create(toFloat(w));
      for (int step = 1; step <= 5; step++) {
        double[] g = gaussian(r, n);
        opt.update("p", wd, m.create(toFloat(g)), lr, step);
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        for (int i = 0; i < n; i++) {
          w[i] *= 1 - lr * weightDecay;
          mm[i] = beta1 * mm[i] + (1 - beta1) * g[i];
          vv[i] = beta2 * vv[i] + (1 - beta2) * g[i] * g[i];
          w[i] -= lr / bc1 * mm[i] / (Math.sqrt(vv[i]) / Math.sqrt(bc2) + eps);
        }
      }
      assertClose(w, wd.toFloatArray());
      assertEquals(MemoryFootprint.ofFp32(2L * n), opt.memory("p"));
    }
  }

  @Test
  void replicasOnOtherDevicesGetTheirOwnKeys() {
    StateKeys keys = new StateKeys();
    assertEquals("w", keys.key("w", Device.cpu()));
    assertEquals("w", keys.key("w", Device.cpu()));
    String replica = keys.key("w", Device.gpu(1));
    assertNotEquals("w", replica);
    assertEquals("w@" + Device.gpu(1), replica);
    assertEquals("b", keys.key("b", Device.gpu(1)));
  }

  private static void assertClose(double[] expected, float[] actual) {
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5 * (1 + Math.abs(expected[i])), "element " + i);
    }
  }

  private static double[] gaussian(Random r, int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  private static float[] toFloat(double[] x) {
    float[] f = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      f[i] = (float) x[i];
    }
    return f;
  }
}
