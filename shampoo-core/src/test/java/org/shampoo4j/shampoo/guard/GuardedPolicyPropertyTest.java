package org.shampoo4j.shampoo.guard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.adamw4.AdamW4Bit;
import org.shampoo4j.adamw4.AdamW4BitConfig;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.state.ParameterSet;

/**
 * Under the default policy, one bad value at a random position of a random step leaves the weight
 * bits (−0 and all) and the saved state bytes exactly as before that step, for each base
 * optimizer.
 */
class GuardedPolicyPropertyTest {
  private static final Shape SHAPE = new Shape(6, 7);

  @Provide
  Arbitrary<Float> badValues() {
    return Arbitraries.oneOf(
        Arbitraries.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY),
        // Finite but above the overflow bound of 42 elements (about 2.8e18).
        Arbitraries.floats().between(1e19f, Float.MAX_VALUE).map(v -> v),
        Arbitraries.floats().between(-Float.MAX_VALUE, -1e19f));
  }

  @Property(tries = 24, seed = "27")
  void aBadValueAnywhereChangesNoBit(@ForAll("badValues") float bad,
      @ForAll @IntRange(min = 0, max = 41) int position,
      @ForAll @IntRange(min = 0, max = 3) int goodSteps,
      @ForAll @IntRange(min = 0, max = 2) int baseIndex) throws IOException {
    BaseOptimizer base = switch (baseIndex) {
      case 0 -> SgdMomentum.builder().momentum(0.9f).weightDecay(0.01f).build();
      case 1 -> AdamW.builder().weightDecay(0.01f).build();
      default -> new AdamW4Bit(AdamW4BitConfig.builder().minQuantizedElements(0).build());
    };
    try (NDManager m = NDManager.newBaseManager();
        BaseOptimizerAdapter opt = BaseOptimizerAdapter.builder().baseOptimizer(base).build()) {
      Random random = new Random(position * 31L + goodSteps);
      float[] init = new float[(int) SHAPE.size()];
      for (int i = 0; i < init.length; i++) {
        init[i] = (float) random.nextGaussian();
      }
      init[0] = -0f;
      NDArray w = m.create(init, SHAPE);
      for (int s = 0; s < goodSteps; s++) {
        opt.update("w", w, m.create(gradient(random), SHAPE));
      }
      opt.checkGradients();
      byte[] before = save(opt, w);
      int[] bits = bits(w.toFloatArray());
      float[] g = gradient(random);
      g[position] = bad;
      opt.update("w", w, m.create(g, SHAPE));
      IllegalStateException e = assertThrows(IllegalStateException.class, opt::checkGradients);
      assertTrue(e.getMessage().contains("'w'"), e.getMessage());
      assertArrayEquals(bits, bits(w.toFloatArray()), "weight bits");
      assertArrayEquals(before, save(opt, w), "state bytes");
    }
  }

  private static float[] gradient(Random random) {
    float[] g = new float[(int) SHAPE.size()];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    g[1] = -0f;
    return g;
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToRawIntBits(values[i]);
    }
    return out;
  }

  private static byte[] save(BaseOptimizerAdapter opt, NDArray w) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    opt.saveState(out, ParameterSet.ofIds(Map.of("w", w)));
    return out.toByteArray();
  }
}
