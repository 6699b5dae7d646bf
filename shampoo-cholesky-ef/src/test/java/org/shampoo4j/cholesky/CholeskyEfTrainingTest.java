package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.training.optimizer.Optimizer;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.quant.linear2.Linear2Module;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.guice.FullMatrixModule;
import org.shampoo4j.shampoo.guice.NaiveQuantizedModule;
import org.shampoo4j.shampoo.guice.ShampooModule;
import org.shampoo4j.shampoo.memory.MemoryReport;
import org.shampoo4j.testing.LossCurve;
import org.shampoo4j.testing.SyntheticMlp;
import org.shampoo4j.testing.TrainingHarness;

/**
 * Training through a real DJL Trainer with the representation chosen by one Guice module, on the
 * shared synthetic MLP with fixed seeds: fp32 Shampoo, naive 4-bit, Cholesky without and with
 * error feedback. Hidden width 96 makes the 64×64 and 96×96 statistics reach the default 4096-
 * element floor, so the 4-bit representations really quantize them.
 */
class CholeskyEfTrainingTest {
  private static final SyntheticMlp PROBLEM = new SyntheticMlp(512, 64, 96, 8, 11);
  private static final int STEPS = 60;
  private static final ShampooConfig CONFIG = ShampooConfig.builder()
      .learningRate(0.01f).statisticsInterval(2).rootInterval(10).build();

  @Test
  void representationsComparedInFinalLossWithOnlyTheModuleSwapped() {
    Map<String, Module> modules = new LinkedHashMap<>();
    modules.put("full-fp32", new FullMatrixModule());
    modules.put("naive-4bit", new NaiveQuantizedModule());
    modules.put("cholesky", new CholeskyEfModule(
        CholeskyEfConfig.builder().errorFeedback(false).build()));
    modules.put("cholesky-ef", new CholeskyEfModule());
    Map<String, LossCurve> curves = new LinkedHashMap<>();
    Map<String, MemoryReport> reports = new LinkedHashMap<>();
    System.out.println("MLP " + PROBLEM.name() + ", " + STEPS + " full-batch steps, T1=2, T2=10,"
        + " sgd-momentum lr 0.01, Linear-2 4-bit B=64");
    for (Map.Entry<String, Module> e : modules.entrySet()) {
      // Nothing but the representation module changes between runs.
      Injector injector =
          Guice.createInjector(new ShampooModule(CONFIG), new Linear2Module(), e.getValue());
      try (ShampooOptimizer shampoo = injector.getInstance(ShampooOptimizer.class)) {
        assertSame(shampoo, injector.getInstance(Optimizer.class));
        LossCurve curve = TrainingHarness.train(PROBLEM, shampoo, STEPS);
        MemoryReport report = shampoo.memoryReport();
        curves.put(e.getKey(), curve);
        reports.put(e.getKey(), report);
        MemoryFootprint pre = report.preconditionerTotal();
        System.out.printf(
            "  %-12s (%s) final %.4f | %s | preconditioner bytes %d (codes %d, scales %d, fp32"
                + " %d), rejected updates %d%n",
            e.getKey(), shampoo.representation().name(), curve.finalLoss(), curve.summary(),
            pre.total(), pre.codeBytes(), pre.scaleBytes(), pre.fp32Bytes(),
            report.rejectedUpdates());
      }
    }
    LossCurve full = curves.get("full-fp32");
    LossCurve ef = curves.get("cholesky-ef");
    LossCurve plain = curves.get("cholesky");
    LossCurve naive = curves.get("naive-4bit");
    for (Map.Entry<String, LossCurve> e : curves.entrySet()) {
      assertTrue(e.getValue().allFinite(), e.getKey() + ": " + e.getValue().summary());
    }
    assertEquals("cholesky-ef", reports.get("cholesky-ef").representation());
    assertEquals("cholesky", reports.get("cholesky").representation());
    assertEquals(0, reports.get("cholesky-ef").rejectedUpdates());
    // Both Cholesky variants train and the 4-bit codes are reported. Measured on the CPU: 6.144
    // -> 0.1770 (EF) and 0.1706 (no EF), 2.9 % and 2.8 % of the initial loss; 5 % leaves 1.7x
    // (half the initial loss was 17x). And within 10 % of fp32's 0.1703 (measured +3.9 % and
    // +0.2 %; naive 4-bit is +130 %).
    assertTrue(ef.finalLoss() < 0.05f * ef.initialLoss(), ef.summary());
    assertTrue(plain.finalLoss() < 0.05f * plain.initialLoss(), plain.summary());
    assertTrue(ef.finalLoss() < 1.10f * full.finalLoss(), "cholesky-ef vs fp32");
    assertTrue(plain.finalLoss() < 1.10f * full.finalLoss(), "cholesky vs fp32");
    assertTrue(reports.get("cholesky-ef").preconditionerTotal().codeBytes() > 0);
    // The robust part of the ordering (measured 0.179 / 0.181 against 0.437, fp32 0.170): both
    // Cholesky variants end below naive 4-bit. EF against no EF differs by ~1 %: not asserted.
    assertTrue(ef.finalLoss() < naive.finalLoss(), "cholesky-ef vs naive");
    assertTrue(plain.finalLoss() < naive.finalLoss(), "cholesky vs naive");
    // The EF state (factor + error codes) fits in the memory of the naive 4-bit statistic.
    assertTrue(reports.get("cholesky-ef").preconditionerTotal().total()
        <= reports.get("naive-4bit").preconditionerTotal().total(), "memory vs naive");
    System.out.printf(
        "  final loss gaps to fp32: cholesky-ef %+.4f, cholesky %+.4f, naive %+.4f%n",
        ef.finalLoss() - full.finalLoss(), plain.finalLoss() - full.finalLoss(),
        naive.finalLoss() - full.finalLoss());
  }
}
