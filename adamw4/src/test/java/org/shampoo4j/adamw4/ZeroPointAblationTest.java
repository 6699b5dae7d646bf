package org.shampoo4j.adamw4;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.quant.linear2.ZeroFreeLinearMap;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizer;

/**
 * The zero-point problem of the paper (Li et al. 2023, §4.1): if the second moment's map contains
 * 0, small entries of v decode to 0 and the update {@code m̂/(√v̂ + eps)} explodes. A least-squares
 * problem with sparse input features of very different scales (like rare tokens or features) makes
 * v span six orders of magnitude within a block; the same data trains fp32 AdamW, the default 4-bit
 * AdamW and variants whose second moment uses Linear-2 (which contains 0).
 */
class ZeroPointAblationTest {
  private static final int OUT = 32;
  private static final int IN = 256;
  private static final int BATCH = 16;
  private static final int STEPS = 40;
  private static final float LR = 1e-3f;
  private static final long MIN = 4096;

  @Test
  void secondMomentMapWithZeroBlowsUpUpdatesAndTheDefaultDoesNot() {
    Codebook linear2 = new Linear2Map().codebook(4);
    Codebook zeroFree = new ZeroFreeLinearMap().codebook(4);
    Codebook dynamicTree = new DynamicTreeMap().codebook(4);
    Run fp32 = train("fp32 AdamW", () -> AdamW.builder().weightDecay(0f).build());
    Run standard = train("4-bit default: v rank-1 + zero-free linear",
        () -> new AdamW4Bit(AdamW4BitConfig.defaults()));
    Run blockLinear2 = train("4-bit ablation: v block-wise B128 + Linear-2 (has 0)",
        () -> new AdamW4Bit(AdamW4BitConfig.builder()
            .secondMoment(MomentCodec.blockwise(linear2, 128, MIN)).build()));
    Run blockDynamicTree = train("4-bit ablation: v block-wise B128 + dynamic tree (has 0)",
        () -> new AdamW4Bit(AdamW4BitConfig.builder()
            .secondMoment(MomentCodec.blockwise(dynamicTree, 128, MIN)).build()));
    Run rank1Linear2 = train("4-bit ablation: v rank-1 + Linear-2 (has 0)",
        () -> new AdamW4Bit(AdamW4BitConfig.builder()
            .secondMoment(MomentCodec.rank1(linear2, 128, MIN)).build()));
    Run blockZeroFree = train("4-bit ablation: v block-wise B128 + zero-free linear",
        () -> new AdamW4Bit(AdamW4BitConfig.builder()
            .secondMoment(MomentCodec.blockwise(zeroFree, 128, MIN)).build()));
    for (Run r : new Run[] {fp32, standard, blockLinear2, blockDynamicTree, rank1Linear2,
        blockZeroFree}) {
      System.out.println(r);
    }
    // fp32 Adam's step is at most about (1-β1)/√(1-β2) ≈ 3.2 lr per element; the zero-free map
    // only over-estimates v, so the default's steps stay of that order.
    assertTrue(standard.maxStepOverLr < 10, standard.toString());
    assertTrue(standard.explodingSteps == 0 && standard.firstNonFinite == 0, standard.toString());
    assertTrue(Float.isFinite(standard.finalLoss) && standard.finalLoss < standard.initialLoss);
    // A decoded v of 0 leaves eps = 1e-8 alone in the denominator: steps of thousands of lr.
    assertTrue(blockLinear2.explodingSteps > 0, blockLinear2.toString());
    assertTrue(blockLinear2.maxStepOverLr > 1000 || blockLinear2.firstNonFinite > 0,
        blockLinear2.toString());
  }

  private static Run train(String name, Supplier<BaseOptimizer> optimizerFactory) {
    try (NDManager manager = NDManager.newBaseManager();
        BaseOptimizer optimizer = optimizerFactory.get()) {
      manager.getEngine().setRandomSeed(2024);
      // Feature k has scale 10^(-3k/255) (1 down to 1e-3) and is active in 10% of the samples.
      NDArray featureScale = manager.arange(IN).toType(DataType.FLOAT32, false)
          .mul((float) (-3.0 / (IN - 1) * Math.log(10))).exp();
      NDArray teacher = manager.randomNormal(new Shape(OUT, IN));
      NDArray weight = manager.zeros(new Shape(OUT, IN));
      NDArray evalX = sample(manager, featureScale, 512);
      NDArray evalY = evalX.matMul(teacher.transpose());
      float initialLoss = loss(weight, evalX, evalY);
      float maxStep = 0;
      int explodingSteps = 0;
      int firstExplosion = 0;
      int firstNonFinite = 0;
      for (int step = 1; step <= STEPS; step++) {
        try (NDManager scope = manager.newSubManager()) {
          NDArray x = sample(scope, featureScale, BATCH);
          NDArray residual = x.matMul(weight.transpose()).sub(x.matMul(teacher.transpose()));
          NDArray gradient = residual.transpose().matMul(x).mul(2f / BATCH);
          NDArray before = weight.duplicate();
          optimizer.update("w", weight, gradient, LR, step);
          float stepOverLr = weight.sub(before).abs().max().getFloat() / LR;
          if (!Float.isFinite(stepOverLr)) {
            firstNonFinite = firstNonFinite == 0 ? step : firstNonFinite;
          } else {
            maxStep = Math.max(maxStep, stepOverLr);
          }
          if (!(stepOverLr <= 100)) {
            explodingSteps++;
            firstExplosion = firstExplosion == 0 ? step : firstExplosion;
          }
        }
      }
      return new Run(name, initialLoss, loss(weight, evalX, evalY), maxStep, explodingSteps,
          firstExplosion, firstNonFinite, optimizer.memory("w").bitsPerElement(2L * OUT * IN));
    }
  }

  private static NDArray sample(NDManager manager, NDArray featureScale, int rows) {
    NDArray active = manager.randomUniform(0f, 1f, new Shape(rows, IN)).lt(0.1f)
        .toType(DataType.FLOAT32, false);
    return manager.randomNormal(new Shape(rows, IN)).mul(active).mul(featureScale);
  }

  private static float loss(NDArray weight, NDArray x, NDArray y) {
    return x.matMul(weight.transpose()).sub(y).square().mean().getFloat();
  }

  /**
   * One training run: eval loss before and after, the largest finite per-element step over lr,
   * how many steps moved some element by more than 100 lr (or by a non-finite amount), the first
   * such step and the first step whose weights stopped being finite (0: never).
   */
  private record Run(String name, float initialLoss, float finalLoss, float maxStepOverLr,
      int explodingSteps, int firstExplosion, int firstNonFinite, double bitsPerElement) {
    @Override
    public String toString() {
      return String.format("%-58s eval MSE %.4f -> %.4g | max finite |dw|/lr %.4g | steps with"
              + " |dw| > 100 lr: %d/%d (first: %d) | first non-finite step: %d | %.2f bits/elem",
          name, initialLoss, finalLoss, maxStepOverLr, explodingSteps, STEPS, firstExplosion,
          firstNonFinite, bitsPerElement);
    }
  }
}
