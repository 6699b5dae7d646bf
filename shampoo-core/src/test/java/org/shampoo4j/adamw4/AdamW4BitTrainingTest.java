package org.shampoo4j.adamw4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.training.tracker.Tracker;
import com.google.inject.Guice;
import com.google.inject.Injector;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.guice.AdamW4BitModule;
import org.shampoo4j.shampoo.guice.FullMatrixModule;
import org.shampoo4j.shampoo.guice.ShampooModule;
import org.shampoo4j.testing.LossCurve;
import org.shampoo4j.testing.SyntheticMlp;
import org.shampoo4j.testing.TrainingHarness;

/**
 * Training with 4-bit AdamW states through DJL: standalone against fp32 AdamW on the same MLP, and
 * as Shampoo's base optimizer through {@link AdamW4BitModule}.
 */
class AdamW4BitTrainingTest {
  /** Hidden width 96: both hidden weight matrices (64x96, 96x96) are over 4096 elements. */
  private static final SyntheticMlp PROBLEM = new SyntheticMlp(512, 64, 96, 8, 11);
  private static final int STEPS = 150;
  private static final float LR = 3e-3f;
  private static final float WEIGHT_DECAY = 0.01f;

  /**
   * The paper reports 4-bit AdamW on par with 32-bit. Margin, fixed before measuring: the 4-bit
   * run's final loss within 10% (relative) plus 0.02 (absolute) of fp32 AdamW's.
   */
  @Test
  void mlpTrainsWithinASmallMarginOfFp32AdamW() {
    LossCurve fp32;
    try (BaseOptimizerAdapter adapter = BaseOptimizerAdapter.builder()
        .baseOptimizer(AdamW.builder().weightDecay(WEIGHT_DECAY).build())
        .learningRateTracker(Tracker.fixed(LR)).build()) {
      fp32 = TrainingHarness.train(PROBLEM, adapter, STEPS);
    }
    LossCurve fourBit;
    MemoryFootprint memory;
    try (BaseOptimizerAdapter adapter = AdamW4BitConfig.builder().weightDecay(WEIGHT_DECAY)
        .build().djlOptimizer().learningRateTracker(Tracker.fixed(LR)).build()) {
      fourBit = TrainingHarness.train(PROBLEM, adapter, STEPS);
      memory = ((AdamW4Bit) adapter.baseOptimizer()).totalMemory();
    }
    System.out.println("MLP " + PROBLEM.name() + ", " + STEPS + " full-batch steps, lr " + LR);
    System.out.println("  fp32 AdamW : " + fp32.summary());
    System.out.println("  4-bit AdamW: " + fourBit.summary());
    System.out.printf("  final loss difference 4-bit - fp32: %+.4f (%.2f%%); 4-bit state %d B"
            + " (codes %d, scales %d, fp32 %d) vs fp32 AdamW %d B%n",
        fourBit.finalLoss() - fp32.finalLoss(),
        100 * (fourBit.finalLoss() - fp32.finalLoss()) / fp32.finalLoss(), memory.total(),
        memory.codeBytes(), memory.scaleBytes(), memory.fp32Bytes(), fp32StateBytes());
    assertTrue(fourBit.allFinite(), fourBit.summary());
    // Measured (CPU, fixed seeds): initial 6.144, fp32 final 0.01033, 4-bit final 0.02475, so
    // 4-bit ends at 0.40 % of the initial loss and 2.40x fp32's final loss. Bounds: 1 % (2.5x
    // margin) and 3x fp32 (25 % margin); the former 1.10x + 0.02 allowed 3.04x, and half the
    // initial loss 125x the measurement.
    assertTrue(fourBit.finalLoss() < 0.01f * fourBit.initialLoss(), fourBit.summary());
    assertTrue(fourBit.finalLoss() <= 3.0f * fp32.finalLoss(),
        "4-bit " + fourBit.finalLoss() + " vs fp32 " + fp32.finalLoss());
  }

  /** Shampoo with the 4-bit base optimizer, selected by overriding the Guice binding. */
  @Test
  void moduleMakesAdamW4BitShampoosBaseOptimizer() {
    ShampooConfig config = ShampooConfig.builder()
        .learningRate(LR).statisticsInterval(5).rootInterval(10).build();
    Injector injector = Guice.createInjector(
        new ShampooModule(config), new FullMatrixModule(), new AdamW4BitModule());
    try (ShampooOptimizer shampoo = injector.getInstance(ShampooOptimizer.class)) {
      BaseOptimizer base = shampoo.baseOptimizer();
      assertInstanceOf(AdamW4Bit.class, base);
      assertEquals(AdamW4Bit.NAME, base.name());
      LossCurve curve = TrainingHarness.train(PROBLEM, shampoo, 20);
      System.out.println("Shampoo (32-bit preconditioners) + 4-bit AdamW base, 20 steps: "
          + curve.summary());
      MemoryFootprint hidden = ((AdamW4Bit) base).totalMemory();
      System.out.println("  4-bit AdamW state inside Shampoo: " + hidden);
      assertTrue(curve.allFinite(), curve.summary());
      // Measured on the CPU: 6.144 -> 1.164 in 20 steps (19 %); 30 % leaves 1.6x.
      assertTrue(curve.finalLoss() < 0.3f * curve.initialLoss(), curve.summary());
      assertTrue(hidden.codeBytes() > 0, "the hidden matrices' moments are 4-bit codes");
    }
  }

  private static long fp32StateBytes() {
    // Two fp32 moments per parameter: 64x96 + 96 + 96x96 + 96 + 96x8 + 8.
    long parameters = 64 * 96 + 96 + 96 * 96 + 96 + 96 * 8 + 8;
    return 2 * 4 * parameters;
  }
}
