package org.shampoo4j.shampoo.guard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.BaseOptimizerSpec;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.distributed.DeviceGroup;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.distributed.Sharded;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.testing.GuardedChecks;

/**
 * The default {@link NonFinitePolicy#GUARDED} with this module's base optimizers (the checks are
 * {@link GuardedChecks}; the adamw4 module runs them with 4-bit AdamW): a bad gradient (NaN, ±Inf,
 * or above the overflow bound) changes no weight and no optimizer state (compared as saveState
 * bytes and weight bits), the error names every bad parameter, and good steps equal {@link
 * NonFinitePolicy#THROW} bit for bit.
 */
class GuardedPolicyTest {
  private static List<Supplier<BaseOptimizer>> bases() {
    return List.of(() -> SgdMomentum.builder().momentum(0.9f).weightDecay(1e-3f).build(),
        () -> SgdMomentum.builder().momentum(0.9f).nesterov(true).build(),
        () -> SgdMomentum.builder().momentum(0f).build(),
        () -> AdamW.builder().weightDecay(0.01f).build());
  }

  @Test
  void defaultsAreGuarded() {
    ShampooConfig config = ShampooConfig.builder().build();
    assertTrue(config.nonFinitePolicy() == NonFinitePolicy.GUARDED);
  }

  @Test
  void badGradientLeavesAdapterStateAndWeightsBitIdentical() {
    bases().forEach(GuardedChecks::adapterBadStepRollsBack);
  }

  @Test
  void goodGradientsGiveTheSameBitsAsThrow() {
    bases().forEach(GuardedChecks::adapterGoodStepsMatchThrow);
  }

  @Test
  void badGradientLeavesShampooStateBitIdenticalAtSteadyT1AndT2Steps() {
    for (BaseOptimizerSpec base : List.of(SgdMomentum.builder().settings(),
        AdamW.builder().settings())) {
      GuardedChecks.shampooBadStepRollsBack(base);
    }
  }

  @Test
  void shampooGoodGradientsGiveTheSameBitsAsThrow() {
    for (Supplier<PreconditionerRepresentation> representation :
        GuardedChecks.representations()) {
      byte[][] saved = new byte[2][];
      NonFinitePolicy[] policies = {NonFinitePolicy.THROW, NonFinitePolicy.GUARDED};
      for (int i = 0; i < 2; i++) {
        try (NDManager m = NDManager.newBaseManager(); ShampooOptimizer opt =
            GuardedChecks.shampoo(representation.get(), AdamW.builder().settings(), policies[i],
                Distribution.replicated(), 1200)) {
          GuardedChecks.Params p = new GuardedChecks.Params(m);
          for (int s = 0; s < 9; s++) {
            p.step(opt, m, s, Float.NaN, false);
          }
          saved[i] = GuardedChecks.save(opt, p);
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
    var shape = GuardedChecks.W;
    try (NDManager m = NDManager.newBaseManager(); ShampooOptimizer opt = GuardedChecks.shampoo(
        new FullMatrixRepresentation(), AdamW.builder().settings(),
        NonFinitePolicy.GUARDED,
        Sharded.builder(DeviceGroup.simulated(2, Device.cpu())).build(), maxOrder)) {
      NDArray[] w = {GuardedChecks.init(m, shape, 1), GuardedChecks.init(m, shape, 1)};
      Random random = new Random(7);
      for (int s = 0; s < goodSteps; s++) {
        NDArray g = m.create(GuardedChecks.gradient(random, shape, Float.NaN, false), shape);
        for (NDArray replica : w) {
          opt.update("W", replica, g.duplicate());
        }
      }
      opt.checkGradients();
      byte[] before = GuardedChecks.save(opt, Map.of("W", w[0]));
      float[] w0 = w[0].toFloatArray();
      NDArray g = m.create(
          GuardedChecks.gradient(random, shape, Float.POSITIVE_INFINITY, true), shape);
      for (NDArray replica : w) {
        opt.update("W", replica, g.duplicate());
      }
      IllegalStateException e = assertThrows(IllegalStateException.class,
          opt::checkGradients);
      assertTrue(e.getMessage().contains("'W'"), e.getMessage());
      for (NDArray replica : w) {
        assertArrayEquals(w0, replica.toFloatArray(), 0f);
      }
      assertArrayEquals(before, GuardedChecks.save(opt, Map.of("W", w[0])),
          "sharded state, max order " + maxOrder + ", after " + goodSteps);
    }
  }
}
