package org.shampoo4j.shampoo.guard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.shampoo4j.adamw4.AdamW4Bit;
import org.shampoo4j.adamw4.AdamW4BitConfig;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.base.BaseOptimizerSpec;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.distributed.DeviceGroup;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.distributed.Sharded;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;
import org.shampoo4j.shampoo.state.CheckpointableOptimizer;
import org.shampoo4j.shampoo.state.ParameterSet;

/**
 * The default {@link NonFinitePolicy#GUARDED}: a bad gradient (NaN, ±Inf, or above the overflow
 * bound) changes no weight and no optimizer state (compared as saveState bytes and weight bits),
 * the error names every bad parameter, and good steps equal {@link NonFinitePolicy#THROW} bit for
 * bit.
 */
class GuardedPolicyTest {
  private static final Shape W = new Shape(16, 12);
  private static final Shape B = new Shape(12);
  private static final float[] BAD = {Float.NaN, Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, 1e30f};

  // --- base optimizers alone ----------------------------------------------------------------

  private static List<Supplier<BaseOptimizer>> bases() {
    return List.of(() -> SgdMomentum.builder().momentum(0.9f).weightDecay(1e-3f).build(),
        () -> SgdMomentum.builder().momentum(0.9f).nesterov(true).build(),
        () -> SgdMomentum.builder().momentum(0f).build(),
        () -> AdamW.builder().weightDecay(0.01f).build(),
        () -> new AdamW4Bit(AdamW4BitConfig.builder().minQuantizedElements(0).build()));
  }

  @Test
  void defaultsAreGuarded() {
    ShampooConfig config = ShampooConfig.builder().build();
    assertTrue(config.nonFinitePolicy() == NonFinitePolicy.GUARDED);
  }

  @Test
  void badGradientLeavesAdapterStateAndWeightsBitIdentical() {
    for (Supplier<BaseOptimizer> base : bases()) {
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
  }

  @Test
  void goodGradientsGiveTheSameBitsAsThrow() throws IOException {
    for (Supplier<BaseOptimizer> base : bases()) {
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
  }

  // --- Shampoo --------------------------------------------------------------------------------

  private static List<Supplier<PreconditionerRepresentation>> representations() {
    return List.of(FullMatrixRepresentation::new,
        () -> new NaiveQuantizedRepresentation(new Linear2Map()),
        () -> EigenBjorckRepresentation.builder(new Linear2Map()).build());
  }

  private static List<BaseOptimizerSpec> shampooBases() {
    return List.of(SgdMomentum.builder().settings(), AdamW.builder().settings(),
        AdamW4BitConfig.builder().minQuantizedElements(0).build());
  }

  private static ShampooOptimizer shampoo(PreconditionerRepresentation representation,
      BaseOptimizerSpec base, NonFinitePolicy policy, Distribution distribution) {
    return shampoo(representation, base, policy, distribution, 1200);
  }

  private static ShampooOptimizer shampoo(PreconditionerRepresentation representation,
      BaseOptimizerSpec base, NonFinitePolicy policy, Distribution distribution, int maxOrder) {
    ShampooConfig config = ShampooConfig.builder().baseOptimizer(base).learningRate(0.01f)
        .statisticsInterval(2).rootInterval(4).minQuantizedElements(0).maxOrder(maxOrder)
        .nonFinitePolicy(policy).build();
    return ShampooOptimizer.builder().config(config).representation(representation)
        .distribution(distribution).build();
  }

  @Test
  void badGradientLeavesShampooStateBitIdenticalAtSteadyT1AndT2Steps() {
    for (Supplier<PreconditionerRepresentation> representation : representations()) {
      for (BaseOptimizerSpec base : shampooBases()) {
        // The bad step is step 1 (state created), 3 (steady), 2 (T1) or 4 (T2).
        for (int goodSteps : new int[] {0, 1, 2, 3}) {
          float bad = BAD[goodSteps % BAD.length];
          try (NDManager m = NDManager.newBaseManager(); ShampooOptimizer opt = shampoo(
              representation.get(), base, NonFinitePolicy.GUARDED, Distribution.replicated())) {
            Params p = new Params(m);
            checkBadStepRollsBack(m, opt, p, goodSteps, bad, opt::checkGradients,
                representation.get().getClass().getSimpleName() + " " + base.name());
          }
        }
      }
    }
  }

  @Test
  void shampooGoodGradientsGiveTheSameBitsAsThrow() throws IOException {
    for (Supplier<PreconditionerRepresentation> representation : representations()) {
      byte[][] saved = new byte[2][];
      NonFinitePolicy[] policies = {NonFinitePolicy.THROW, NonFinitePolicy.GUARDED};
      for (int i = 0; i < 2; i++) {
        try (NDManager m = NDManager.newBaseManager(); ShampooOptimizer opt = shampoo(
            representation.get(), AdamW.builder().settings(), policies[i],
            Distribution.replicated())) {
          Params p = new Params(m);
          for (int s = 0; s < 9; s++) {
            p.step(opt, m, s, Float.NaN, false);
          }
          saved[i] = save(opt, p);
        }
      }
      assertArrayEquals(saved[0], saved[1]);
    }
  }

  @Test
  void shardedBadGradientLeavesEveryReplicaAndTheStateBitIdentical() throws IOException {
    // Max order 1200: one block, the plain step at its owner; 8: 2x2 blocks over both replicas,
    // each with its own base state.
    for (int maxOrder : new int[] {1200, 8}) {
      for (int goodSteps : new int[] {1, 2, 3}) {
        shardedBadStep(maxOrder, goodSteps);
      }
    }
  }

  private static void shardedBadStep(int maxOrder, int goodSteps) throws IOException {
    try (NDManager m = NDManager.newBaseManager(); ShampooOptimizer opt = shampoo(
        new FullMatrixRepresentation(), AdamW.builder().settings(),
        NonFinitePolicy.GUARDED,
        Sharded.builder(DeviceGroup.simulated(2, Device.cpu())).build(), maxOrder)) {
      NDArray[] w = {init(m, W, 1), init(m, W, 1)};
      Random random = new Random(7);
      for (int s = 0; s < goodSteps; s++) {
        NDArray g = m.create(gradient(random, W, Float.NaN, false), W);
        for (NDArray replica : w) {
          opt.update("W", replica, g.duplicate());
        }
      }
      opt.checkGradients();
      byte[] before = saveSharded(opt, w[0]);
      float[] w0 = w[0].toFloatArray();
      NDArray g = m.create(gradient(random, W, Float.POSITIVE_INFINITY, true), W);
      for (NDArray replica : w) {
        opt.update("W", replica, g.duplicate());
      }
      IllegalStateException e = assertThrows(IllegalStateException.class,
          opt::checkGradients);
      assertTrue(e.getMessage().contains("'W'"), e.getMessage());
      for (NDArray replica : w) {
        assertArrayEquals(w0, replica.toFloatArray(), 0f);
      }
      assertArrayEquals(before, saveSharded(opt, w[0]),
          "sharded state, max order " + maxOrder + ", after " + goodSteps);
    }
  }

  // --- shared check ---------------------------------------------------------------------------

  /**
   * Runs {@code goodSteps} good steps, then one step where both parameters' gradients hold
   * {@code bad}; the next update must throw naming both, and the state and weights must equal
   * those before the bad step bit for bit.
   */
  private static <O extends ai.djl.training.optimizer.Optimizer & CheckpointableOptimizer>
      void checkBadStepRollsBack(NDManager m, O opt, Params p, int goodSteps, float bad,
          Runnable check, String label) {
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
  private static final class Params {
    final NDArray w;
    final NDArray b;

    Params(NDManager m) {
      w = init(m, W, 1);
      b = init(m, B, 2);
    }

    void step(ai.djl.training.optimizer.Optimizer opt, NDManager m, int seed, float bad,
        boolean inject) {
      Random random = new Random(100 + seed);
      opt.update("w", w, m.create(gradient(random, W, bad, inject), W));
      opt.update("b", b, m.create(gradient(random, B, bad, inject), B));
    }

    float[] weights() {
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

  private static NDArray init(NDManager m, Shape shape, int seed) {
    Random random = new Random(seed);
    float[] v = new float[(int) shape.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian() * 0.3f;
    }
    return m.create(v, shape);
  }

  /** A Gaussian gradient; with {@code inject}, {@code bad} at one random position. */
  private static float[] gradient(Random random, Shape shape, float bad, boolean inject) {
    float[] g = new float[(int) shape.size()];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    if (inject) {
      g[random.nextInt(g.length)] = bad;
    }
    return g;
  }

  private static byte[] save(CheckpointableOptimizer opt, Params p) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      opt.saveState(out, ParameterSet.ofIds(p.byId()));
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] saveSharded(ShampooOptimizer opt, NDArray w) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    opt.saveState(out, ParameterSet.ofIds(Map.of("W", w)));
    return out.toByteArray();
  }
}
