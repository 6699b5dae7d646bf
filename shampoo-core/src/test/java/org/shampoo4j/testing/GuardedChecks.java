package org.shampoo4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.optimizer.Optimizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.base.BaseOptimizerSpec;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;
import org.shampoo4j.shampoo.state.CheckpointableOptimizer;
import org.shampoo4j.shampoo.state.ParameterSet;

/**
 * The checks of {@link NonFinitePolicy#GUARDED} for one base optimizer, shared by core's tests
 * (SGD, AdamW) and the modules that bring their own base (4-bit AdamW): a bad gradient (NaN, ±Inf,
 * or above the overflow bound) changes no weight and no optimizer state (compared as saveState
 * bytes and weight bits), the error names every bad parameter, and good steps equal {@link
 * NonFinitePolicy#THROW} bit for bit.
 */
public final class GuardedChecks {
  /** The weight matrix's shape. */
  public static final Shape W = new Shape(16, 12);
  private static final Shape B = new Shape(12);
  private static final Shape SMALL = new Shape(6, 7);
  private static final float[] BAD = {Float.NaN, Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, 1e30f};

  private GuardedChecks() {}

  /** A bad step of the base alone (DJL adapter) rolls back, after 0 and 2 good steps. */
  public static void adapterBadStepRollsBack(Supplier<BaseOptimizer> base) {
    for (float bad : BAD) {
      for (int goodSteps : new int[] {0, 2}) {
        try (NDManager m = NDManager.newBaseManager();
            BaseOptimizerAdapter opt = BaseOptimizerAdapter.builder()
                .baseOptimizer(base.get()).build()) {
          Params p = new Params(m);
          checkBadStepRollsBack(m, opt, p, goodSteps, bad, opt::checkGradients,
              base.get().name());
        }
      }
    }
  }

  /** With good gradients, the base alone gives the same bits under GUARDED and THROW. */
  public static void adapterGoodStepsMatchThrow(Supplier<BaseOptimizer> base) {
    byte[][] saved = new byte[2][];
    float[][] weights = new float[2][];
    NonFinitePolicy[] policies = {NonFinitePolicy.THROW, NonFinitePolicy.GUARDED};
    for (int i = 0; i < 2; i++) {
      try (NDManager m = NDManager.newBaseManager();
          BaseOptimizerAdapter opt = BaseOptimizerAdapter.builder().baseOptimizer(base.get())
              .nonFinitePolicy(policies[i]).build()) {
        Params p = new Params(m);
        for (int s = 0; s < 5; s++) {
          p.step(opt, m, s, Float.NaN, false);
        }
        saved[i] = save(opt, p);
        weights[i] = p.weights();
      }
    }
    assertArrayEquals(saved[0], saved[1], base.get().name());
    assertArrayEquals(weights[0], weights[1], 0f, base.get().name());
  }

  /** The representations Shampoo's guarded steps are checked with. */
  public static List<Supplier<PreconditionerRepresentation>> representations() {
    return List.of(FullMatrixRepresentation::new,
        () -> new NaiveQuantizedRepresentation(new Linear2Map()),
        () -> EigenBjorckRepresentation.builder(new Linear2Map()).build());
  }

  /**
   * Under Shampoo with this base and each representation, a bad step that is step 1 (state
   * created), 3 (steady), 2 (T1) or 4 (T2) rolls back.
   */
  public static void shampooBadStepRollsBack(BaseOptimizerSpec base) {
    for (Supplier<PreconditionerRepresentation> representation : representations()) {
      for (int goodSteps : new int[] {0, 1, 2, 3}) {
        float bad = BAD[goodSteps % BAD.length];
        try (NDManager m = NDManager.newBaseManager(); ShampooOptimizer opt = shampoo(
            representation.get(), base, NonFinitePolicy.GUARDED, Distribution.replicated(),
            1200)) {
          Params p = new Params(m);
          checkBadStepRollsBack(m, opt, p, goodSteps, bad, opt::checkGradients,
              representation.get().getClass().getSimpleName() + " " + base.name());
        }
      }
    }
  }

  /**
   * Shampoo with T1 = 2, T2 = 4, every tensor quantized, learning rate 0.01 and the given policy,
   * base, distribution and maximum order.
   */
  public static ShampooOptimizer shampoo(PreconditionerRepresentation representation,
      BaseOptimizerSpec base, NonFinitePolicy policy, Distribution distribution, int maxOrder) {
    ShampooConfig config = ShampooConfig.builder().baseOptimizer(base).learningRate(0.01f)
        .statisticsInterval(2).rootInterval(4).minQuantizedElements(0).maxOrder(maxOrder)
        .nonFinitePolicy(policy).build();
    return ShampooOptimizer.builder().config(config).representation(representation)
        .distribution(distribution).build();
  }

  /** Non-finite values and finite ones above the overflow bound of 42 elements (~2.8e18). */
  public static Arbitrary<Float> badValues() {
    return Arbitraries.oneOf(
        Arbitraries.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY),
        Arbitraries.floats().between(1e19f, Float.MAX_VALUE).map(v -> v),
        Arbitraries.floats().between(-Float.MAX_VALUE, -1e19f));
  }

  /**
   * After {@code goodSteps} good steps of the base alone on a 6×7 weight (holding −0), one
   * {@code bad} value at {@code position} (0..41) of the next gradient leaves the weight bits and
   * the saved state bytes exactly as they were, and the error names the parameter.
   */
  public static void aBadValueChangesNoBit(BaseOptimizer base, float bad, int position,
      int goodSteps) throws IOException {
    try (NDManager m = NDManager.newBaseManager();
        BaseOptimizerAdapter opt = BaseOptimizerAdapter.builder().baseOptimizer(base).build()) {
      Random random = new Random(position * 31L + goodSteps);
      float[] init = new float[(int) SMALL.size()];
      for (int i = 0; i < init.length; i++) {
        init[i] = (float) random.nextGaussian();
      }
      init[0] = -0f;
      NDArray w = m.create(init, SMALL);
      for (int s = 0; s < goodSteps; s++) {
        opt.update("w", w, m.create(smallGradient(random), SMALL));
      }
      opt.checkGradients();
      byte[] before = save(opt, Map.of("w", w));
      int[] bits = bits(w.toFloatArray());
      float[] g = smallGradient(random);
      g[position] = bad;
      opt.update("w", w, m.create(g, SMALL));
      IllegalStateException e = assertThrows(IllegalStateException.class, opt::checkGradients);
      assertTrue(e.getMessage().contains("'w'"), e.getMessage());
      assertArrayEquals(bits, bits(w.toFloatArray()), "weight bits");
      assertArrayEquals(before, save(opt, Map.of("w", w)), "state bytes");
    }
  }

  /**
   * Runs {@code goodSteps} good steps, then one step where both parameters' gradients hold
   * {@code bad}; the next update must throw naming both, and the state and weights must equal
   * those before the bad step bit for bit.
   */
  private static <O extends Optimizer & CheckpointableOptimizer> void checkBadStepRollsBack(
      NDManager m, O opt, Params p, int goodSteps, float bad, Runnable check, String label) {
    for (int s = 0; s < goodSteps; s++) {
      p.step(opt, m, s, Float.NaN, false);
    }
    check.run();
    byte[] before = save(opt, p);
    float[] weights = p.weights();
    p.step(opt, m, goodSteps, bad, true);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> p.step(opt, m, goodSteps + 1, Float.NaN, false), label);
    assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("'b'"),
        label + ": " + e.getMessage());
    assertArrayEquals(weights, p.weights(), 0f, label + " weights, bad " + bad);
    assertArrayEquals(before, save(opt, p), label + " state, bad " + bad);
    // The run goes on with good gradients.
    p.step(opt, m, goodSteps + 2, Float.NaN, false);
    check.run();
  }

  /** A weight matrix and a bias, updated w first, then b. */
  public static final class Params {
    private final NDArray w;
    private final NDArray b;

    /** Both parameters, initialized from fixed seeds in {@code m}. */
    public Params(NDManager m) {
      w = init(m, W, 1);
      b = init(m, B, 2);
    }

    /**
     * One step of both parameters with gradients from seed {@code 100 + seed}; with {@code
     * inject}, one value of each is {@code bad}.
     */
    public void step(Optimizer opt, NDManager m, int seed, float bad, boolean inject) {
      Random random = new Random(100 + seed);
      opt.update("w", w, m.create(gradient(random, W, bad, inject), W));
      opt.update("b", b, m.create(gradient(random, B, bad, inject), B));
    }

    /** Both parameters' values, w then b. */
    public float[] weights() {
      float[] a = w.toFloatArray();
      float[] c = b.toFloatArray();
      float[] out = new float[a.length + c.length];
      System.arraycopy(a, 0, out, 0, a.length);
      System.arraycopy(c, 0, out, a.length, c.length);
      return out;
    }

    Map<String, NDArray> byId() {
      Map<String, NDArray> out = new LinkedHashMap<>();
      out.put("w", w);
      out.put("b", b);
      return out;
    }
  }

  /** A Gaussian array of a shape (scale 0.3) from a seed. */
  public static NDArray init(NDManager m, Shape shape, int seed) {
    Random random = new Random(seed);
    float[] v = new float[(int) shape.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian() * 0.3f;
    }
    return m.create(v, shape);
  }

  /** A Gaussian gradient; with {@code inject}, {@code bad} at one random position. */
  public static float[] gradient(Random random, Shape shape, float bad, boolean inject) {
    float[] g = new float[(int) shape.size()];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    if (inject) {
      g[random.nextInt(g.length)] = bad;
    }
    return g;
  }

  private static float[] smallGradient(Random random) {
    float[] g = new float[(int) SMALL.size()];
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

  /** The optimizer's saved state of both parameters. */
  public static byte[] save(CheckpointableOptimizer opt, Params p) {
    return save(opt, p.byId());
  }

  /** The optimizer's saved state of the given parameters. */
  public static byte[] save(CheckpointableOptimizer opt, Map<String, NDArray> parameters) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      opt.saveState(out, ParameterSet.ofIds(parameters));
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
