package org.shampoo4j.bench.variant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
  @Property(tries = 200, seed = "14")
  void warmupRisesToThePeakThenCosineFallsToZero(
      @ForAll @IntRange(min = 0, max = 50) int warmup,
      @ForAll @IntRange(min = 1, max = 500) int decay,
      @ForAll @IntRange(min = 1, max = 100000) int baseMicro) {
    float base = baseMicro * 1e-6f;
    int total = warmup + decay;
    LearningRateSchedule s = LearningRateSchedule.warmupCosine(warmup, total);
    float previous = 0f;
    for (int step = 1; step <= total; step++) {
      float lr = s.rate(base, step);
      assertTrue(lr >= 0f && lr <= base * (1 + 1e-6f), "step " + step + ": " + lr);
      if (step <= warmup) {
        assertTrue(lr > previous, "warm-up rises at step " + step);
      } else if (step > warmup + 1) {
        assertTrue(lr <= previous, "cosine falls at step " + step);
      }
      previous = lr;
    }
    if (warmup > 0) {
      assertEquals(base, s.rate(base, warmup), base * 1e-6f, "peak at the end of warm-up");
    }
    assertEquals(0f, s.rate(base, total), base * 1e-6f, "zero at the last step");
    assertEquals(0f, s.rate(base, total + 10), base * 1e-6f, "stays at zero after the end");
  }

  @Property(tries = 50, seed = "15")
  void constantIsTheBaseAtEveryStep(@ForAll @IntRange(min = 1, max = 100000) int step,
      @ForAll @IntRange(min = 1, max = 100000) int baseMicro) {
    float base = baseMicro * 1e-6f;
    assertEquals(base, LearningRateSchedule.constant().rate(base, step));
    assertEquals(base, LearningRateSchedule.constant().tracker(base).getNewValue(step));
  }

  @Test
  void cosineMidpointIsHalfThePeakAndTheTrackerAgrees() {
    LearningRateSchedule s = LearningRateSchedule.warmupCosine(10, 110);
    assertEquals(0.05f, s.rate(0.1f, 60), 1e-7f);
    assertEquals(0.01f, s.rate(0.1f, 1), 1e-7f);
    assertEquals(s.rate(0.1f, 37), s.tracker(0.1f).getNewValue(37));
    assertEquals(s.rate(0.1f, 37), s.tracker(0.1f).getNewValue("any-parameter", 37));
  }

  @Test
  void warmupMustBeShorterThanTheRun() {
    assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.warmupCosine(10, 10));
    assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.warmupCosine(-1, 10));
  }
}
