package org.shampoo4j.shampoo.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.Grafting;
import org.shampoo4j.shampoo.RootMethod;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizerSpec;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.memory.DeviceMemory;
import org.shampoo4j.shampoo.memory.MemoryReport;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.testing.LossCurve;
import org.shampoo4j.testing.SyntheticMlp;
import org.shampoo4j.testing.TrainingHarness;

/**
 * Sharded Shampoo under DJL's update sequence, on the CPU: N logical replicas ({@link
 * DeviceGroup#simulated}) fed the way DJL's {@code LocalParameterServer} feeds them ({@link
 * LocalParameterServerReplay}). The problem is least squares {@code Y ≈ W·X + b} with W of 12×10
 * in 2×2 Shampoo blocks (max order 8) and a bias only the base optimizer updates; each replica
 * computes its gradient on its share of the batch from its own copy of the weights.
 */
class ShardedShampooTest {
  private static final int ROWS = 12;
  private static final int COLS = 10;
  private static final int BATCH = 16;
  private static final int STEPS = 14;

  @Test
  void replicasStayBitIdenticalAndMatchOneDeviceOnTheGlobalBatch() {
    for (int replicas : new int[] {2, 4}) {
      for (BaseOptimizerSpec base : bases()) {
        float[][] single = trainSingle(base);
        // One step less: the size of a step, which a semantic error (a step applied N times, a
        // root refresh missed or repeated) would show in full.
        float[][] shorter = trainSingle(base, 1f, STEPS - 1, false);
        float[][][] sharded = trainSharded(base, replicas);
        for (int r = 1; r < replicas; r++) {
          assertArrayEquals(sharded[0][0], sharded[r][0], 0f, "W replica " + r + " bit-identical");
          assertArrayEquals(sharded[0][1], sharded[r][1], 0f, "b replica " + r + " bit-identical");
        }
        float diff = Math.max(maxDiff(single[0], sharded[0][0]), maxDiff(single[1],
            sharded[0][1]));
        float stepSize = maxDiff(single[0], shorter[0]);
        System.out.printf("sharded(%d) %s vs one device on the global batch, %d steps: max |dW| "
            + "%.3g (last step moved W by up to %.3g; max |W| %.3g)%n", replicas, base.name(),
            STEPS, diff, stepSize, maxAbs(single[0]));
        // The only difference is the round-off of the split gradient sum, carried through the
        // roots (the bit-for-bit test below feeds one device the same sum and lands exactly on
        // the replicas); it must stay well below one step.
        assertTrue(diff < stepSize / 10, "differs by " + diff + ", a step is " + stepSize);
      }
    }
  }

  /**
   * Fed the very gradient DJL hands it (the replicas' sum, scaled by 1/N), one device lands on the
   * sharded replicas' weights bit for bit: each parameter advanced one step per training step and
   * T1/T2 fired once, in blocks owned by different replicas.
   */
  @Test
  void shardedEqualsOneDeviceFedTheSameReducedGradientBitForBit() {
    for (BaseOptimizerSpec base : bases()) {
      float[][][] sharded = trainSharded(base, 2);
      float[][] single;
      try (NDManager m = NDManager.newBaseManager();
          ShampooOptimizer opt = optimizer(config(base, 8), Distribution.replicated())) {
        NDArray[] w = {init(m, 0), init(m, 0)};
        NDArray[] b = {init(m, 1), init(m, 1)};
        for (int s = 0; s < STEPS; s++) {
          NDArray[][] g = shareGradients(m, w, b, s, 1f, false);
          opt.update("W", w[0], sum(g[0]).mul(0.5f));
          opt.update("b", b[0], sum(g[1]).mul(0.5f));
          w[1] = w[0];
          b[1] = b[0];
        }
        single = new float[][] {w[0].toFloatArray(), b[0].toFloatArray()};
      }
      assertArrayEquals(single[0], sharded[0][0], 0f, base.name());
      assertArrayEquals(single[1], sharded[0][1], 0f, base.name());
    }
  }

  @Test
  void gradientSumMovesLikeAnNTimesLargerGradient() {
    // SUM keeps DJL's summed gradient: with two replicas that is twice the global-batch gradient.
    float[][][] summed = trainSharded(SgdMomentum.builder().momentum(0f).settings(), 2,
        GradientReduction.SUM, 1);
    float[][] doubled = trainSingle(SgdMomentum.builder().momentum(0f).settings(), 2f, 1, false);
    assertTrue(maxDiff(doubled[0], summed[0][0]) < 1e-5f);
  }

  @Test
  void oneDeviceShardedEqualsPlainBitForBit() {
    // Hidden 32 with max order 16: the 32x32 and 32x20 weights have several blocks each.
    for (BaseOptimizerSpec base : bases()) {
      ShampooConfig config = config(base, 16);
      LossCurve plain;
      try (ShampooOptimizer opt = optimizer(config, Distribution.replicated())) {
        plain = TrainingHarness.train(SyntheticMlp.standard(), opt, 25);
      }
      LossCurve sharded;
      try (ShampooOptimizer opt = optimizer(config,
          Sharded.builder(DeviceGroup.of(Device.cpu())).build())) {
        sharded = TrainingHarness.train(SyntheticMlp.standard(), opt, 25);
      }
      assertArrayEquals(plain.losses(), sharded.losses(), 0f, base.name() + " loss curve");
      assertEquals(plain.finalLoss(), sharded.finalLoss(), 0f);
    }
  }

  @Test
  void eachReplicaHoldsAboutOneNthOfTheMemory() {
    ShampooConfig config = config(SgdMomentum.builder().settings(), 8);
    MemoryReport one;
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = optimizer(config, Distribution.replicated())) {
      NDArray[] w = {init(m, 0)};
      NDArray[] b = {init(m, 1)};
      step(m, opt, w, b, 0, 1f);
      one = opt.memoryReport();
    }
    MemoryReport two;
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = optimizer(config,
            Sharded.builder(DeviceGroup.simulated(2, Device.cpu())).build())) {
      NDArray[] w = {init(m, 0), init(m, 0)};
      NDArray[] b = {init(m, 1), init(m, 1)};
      step(m, opt, w, b, 0, 1f);
      two = opt.memoryReport();
      System.out.print(two.toTable());
    }
    assertEquals(one.total(), two.total(), "sharding moves state, it does not change it");
    assertEquals(1, one.devices().size());
    assertEquals(2, two.devices().size());
    long total = one.total().total();
    // The largest unit: an 8x8 block's fp32 L, R, L^-1/4, R^-1/4 and its momentum.
    long largestUnit = 4L * (4 * 8 * 8 + 8 * 8);
    for (DeviceMemory d : two.devices()) {
      System.out.printf("%s: %d of %d B (%.1f %%)%n", d.device(), d.total().total(), total,
          100.0 * d.total().total() / total);
      assertTrue(d.total().total() <= total / 2 + largestUnit, d + " holds too much");
      assertTrue(d.units() >= 1);
    }
    assertEquals(total, two.devices().stream().mapToLong(d -> d.total().total()).sum());
  }

  /**
   * A multi-block parameter whose blocks sit on two owners: the fused path (each owner's blocks
   * through the step module together) lands bit for bit where the per-operation sharded path
   * does, over steady, T1 and T2 steps, for every grafting mode, with fp32 and packed 4-bit
   * roots.
   */
  @Test
  void fusedShardedStepEqualsPerOperationShardedStepBitForBit() {
    List<PreconditionerRepresentation> representations = List.of(new FullMatrixRepresentation(),
        EigenBjorckRepresentation.builder(new Linear2Map()).build());
    for (PreconditionerRepresentation representation : representations) {
      for (Grafting grafting : Grafting.values()) {
        // T1 every 2nd step, T2 every 3rd: steps 1, 5 and 7 are steady, 2 and 4 T1 only, 3 T2
        // only, 6 both.
        ShampooConfig config = ShampooConfig.builder().learningRate(0.02f)
            .baseOptimizer(SgdMomentum.builder().momentum(0.9f).settings())
            .statisticsInterval(2).rootInterval(3).maxOrder(8).grafting(grafting)
            .minQuantizedElements(64).rootMethod(RootMethod.EIGH).build();
        String what = representation.name() + ", " + grafting;
        float[][][] fused = trainSharded(config, representation, true, 7);
        float[][][] perOperation = trainSharded(config, representation, false, 7);
        for (int r = 0; r < 2; r++) {
          assertArrayEquals(perOperation[r][0], fused[r][0], 0f, what + ": W replica " + r);
          assertArrayEquals(perOperation[r][1], fused[r][1], 0f, what + ": b replica " + r);
        }
      }
    }
  }

  /** Two simulated replicas, {@code steps} steps; fails unless W's blocks have two owners. */
  private static float[][][] trainSharded(ShampooConfig config,
      PreconditionerRepresentation representation, boolean fused, int steps) {
    Sharded sharded = Sharded.builder(DeviceGroup.simulated(2, Device.cpu())).build();
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = ShampooOptimizer.builder().config(config)
            .representation(representation).distribution(sharded).fusedStep(fused).build()) {
      NDArray[] w = {init(m, 0), init(m, 0)};
      NDArray[] b = {init(m, 1), init(m, 1)};
      for (int s = 0; s < steps; s++) {
        step(m, opt, w, b, s, 1f);
      }
      // W's 4 blocks and b's one unit: 2 units or more on each device put W on both.
      for (DeviceMemory d : opt.memoryReport().devices()) {
        assertTrue(d.units() >= 2, d + ": W's blocks should span both owners");
      }
      if (representation instanceof EigenBjorckRepresentation) {
        assertTrue(opt.memoryReport().preconditionerTotal().codeBytes() > 0,
            "the 8x8 blocks' roots should be packed 4-bit");
      }
      return new float[][][] {{w[0].toFloatArray(), b[0].toFloatArray()},
          {w[1].toFloatArray(), b[1].toFloatArray()}};
    }
  }

  @Test
  void replicaOnTheWrongDeviceIsReported() {
    ShampooConfig config = config(SgdMomentum.builder().settings(), 8);
    // The group says gpu(0), gpu(1); the weight lives on the CPU: DJL's devices differ.
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = optimizer(config,
            Sharded.builder(DeviceGroup.of(Device.gpu(0), Device.gpu(1))).build())) {
      NDArray w = init(m, 0);
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> opt.update("W", w, w.onesLike()));
      assertTrue(e.getMessage().contains("optDevices"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class,
        () -> DeviceGroup.of(Device.cpu(), Device.cpu()));
    assertThrows(IllegalArgumentException.class, () -> DeviceGroup.simulated(0, Device.cpu()));
    assertThrows(IllegalArgumentException.class, () -> GradientReduction.MEAN.scale(0));
  }

  // --- training loops ---------------------------------------------------------------------

  private static List<BaseOptimizerSpec> bases() {
    return List.of(SgdMomentum.builder().momentum(0.9f).settings(),
        AdamW.builder().weightDecay(0.01f).settings());
  }

  private static ShampooConfig config(BaseOptimizerSpec base, int maxOrder) {
    float lr = base instanceof AdamW.Settings ? 0.01f : 0.02f;
    return ShampooConfig.builder().learningRate(lr).baseOptimizer(base)
        .statisticsInterval(1).rootInterval(3).maxOrder(maxOrder).rootMethod(RootMethod.EIGH)
        .build();
  }

  /**
   * Shampoo with fp32 statistics under {@code distribution}; directions per parameter, as a
   * sharded step computes them (the batched ones round differently).
   */
  static ShampooOptimizer optimizer(ShampooConfig config, Distribution distribution) {
    return ShampooOptimizer.builder().config(config)
        .representation(new FullMatrixRepresentation()).distribution(distribution)
        .batchedDirections(false).build();
  }

  private static float[][] trainSingle(BaseOptimizerSpec base) {
    return trainSingle(base, 1f, STEPS, false);
  }

  /**
   * One device, the global batch's gradient times {@code gradScale}, the samples in reverse
   * order if {@code reversed}.
   */
  private static float[][] trainSingle(BaseOptimizerSpec base, float gradScale, int steps,
      boolean reversed) {
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = optimizer(config(base, 8), Distribution.replicated())) {
      NDArray[] w = {init(m, 0)};
      NDArray[] b = {init(m, 1)};
      for (int s = 0; s < steps; s++) {
        NDArray[][] g = shareGradients(m, w, b, s, gradScale, reversed);
        opt.update("W", w[0], g[0][0]);
        opt.update("b", b[0], g[1][0]);
      }
      return new float[][] {w[0].toFloatArray(), b[0].toFloatArray()};
    }
  }

  private static float[][][] trainSharded(BaseOptimizerSpec base, int replicas) {
    return trainSharded(base, replicas, GradientReduction.MEAN, STEPS);
  }

  private static float[][][] trainSharded(BaseOptimizerSpec base, int replicas,
      GradientReduction reduction, int steps) {
    Sharded sharded = Sharded.builder(DeviceGroup.simulated(replicas, Device.cpu()))
        .reduction(reduction).build();
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = optimizer(config(base, 8), sharded)) {
      NDArray[] w = new NDArray[replicas];
      NDArray[] b = new NDArray[replicas];
      for (int r = 0; r < replicas; r++) {
        w[r] = init(m, 0);
        b[r] = init(m, 1);
      }
      for (int s = 0; s < steps; s++) {
        step(m, opt, w, b, s, 1f);
      }
      float[][][] out = new float[replicas][][];
      for (int r = 0; r < replicas; r++) {
        out[r] = new float[][] {w[r].toFloatArray(), b[r].toFloatArray()};
      }
      return out;
    }
  }

  /**
   * One training step: replica r computes the mean-loss gradient on its share of the batch from
   * its own weights; DJL's parameter-server sequence applies the sum (one replica: plain update).
   */
  private static void step(NDManager m, ShampooOptimizer opt, NDArray[] w, NDArray[] b,
      int step, float gradScale) {
    NDArray[][] g = shareGradients(m, w, b, step, gradScale, false);
    NDArray[] gw = g[0];
    NDArray[] gb = g[1];
    if (w.length == 1) {
      opt.update("W", w[0], gw[0]);
      opt.update("b", b[0], gb[0]);
    } else {
      LocalParameterServerReplay.update(opt, "W", gw, w);
      LocalParameterServerReplay.update(opt, "b", gb, b);
    }
  }

  /** Replica r's mean-loss gradients {W, b} on its share of the batch, from its own weights. */
  private static NDArray[][] shareGradients(NDManager m, NDArray[] w, NDArray[] b, int step,
      float gradScale, boolean reversed) {
    int replicas = w.length;
    int share = BATCH / replicas;
    NDArray x = data(m, COLS, step, 1);
    NDArray y = data(m, ROWS, step, 2);
    if (reversed) {
      x = x.flip(1);
      y = y.flip(1);
    }
    NDArray[] gw = new NDArray[replicas];
    NDArray[] gb = new NDArray[replicas];
    for (int r = 0; r < replicas; r++) {
      NDIndex cols = new NDIndex(":, {}:{}", r * share, (r + 1) * share);
      NDArray xr = x.get(cols);
      NDArray residual = w[r].matMul(xr).add(b[r].reshape(ROWS, 1)).sub(y.get(cols));
      gw[r] = residual.matMul(xr.transpose()).mul(2f / share * gradScale);
      gb[r] = residual.sum(new int[] {1}).mul(2f / share * gradScale);
    }
    return new NDArray[][] {gw, gb};
  }

  /** The replicas' gradients summed in DJL's order (into replica 0's, one after the other). */
  private static NDArray sum(NDArray[] grads) {
    NDArray total = grads[0].duplicate();
    for (int i = 1; i < grads.length; i++) {
      total.addi(grads[i]);
    }
    return total;
  }

  private static NDArray init(NDManager m, int which) {
    Random random = new Random(100 + which);
    int n = which == 0 ? ROWS * COLS : ROWS;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (0.3 * random.nextGaussian());
    }
    return m.create(v, which == 0 ? new Shape(ROWS, COLS) : new Shape(ROWS));
  }

  private static NDArray data(NDManager m, int rows, int step, int salt) {
    Random random = new Random(1000L * step + salt);
    float[] v = new float[rows * BATCH];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return m.create(v, new Shape(rows, BATCH));
  }

  private static float maxDiff(float[] a, float[] b) {
    float worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    return worst;
  }

  private static float maxAbs(float[] a) {
    float worst = 0;
    for (float v : a) {
      worst = Math.max(worst, Math.abs(v));
    }
    return worst;
  }
}
