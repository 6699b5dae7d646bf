package org.shampoo4j.adamw4;

import java.io.IOException;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.testing.GuardedChecks;

/**
 * Core's checks of the default GUARDED non-finite policy ({@link GuardedChecks}) with 4-bit AdamW
 * (every tensor quantized): a bad gradient changes no weight bit and no saved state byte, alone
 * and under Shampoo, and good steps equal THROW bit for bit.
 */
class AdamW4GuardedPolicyTest {
  private static AdamW4BitConfig allQuantized() {
    return AdamW4BitConfig.builder().minQuantizedElements(0).build();
  }

  @Test
  void badGradientLeavesAdapterStateAndWeightsBitIdentical() {
    GuardedChecks.adapterBadStepRollsBack(() -> new AdamW4Bit(allQuantized()));
  }

  @Test
  void goodGradientsGiveTheSameBitsAsThrow() {
    GuardedChecks.adapterGoodStepsMatchThrow(() -> new AdamW4Bit(allQuantized()));
  }

  @Test
  void badGradientLeavesShampooStateBitIdenticalAtSteadyT1AndT2Steps() {
    GuardedChecks.shampooBadStepRollsBack(allQuantized());
  }

  @Provide
  Arbitrary<Float> badValues() {
    return GuardedChecks.badValues();
  }

  @Property(tries = 8, seed = "27")
  void aBadValueAnywhereChangesNoBit(@ForAll("badValues") float bad,
      @ForAll @IntRange(min = 0, max = 41) int position,
      @ForAll @IntRange(min = 0, max = 3) int goodSteps) throws IOException {
    GuardedChecks.aBadValueChangesNoBit(new AdamW4Bit(allQuantized()), bad, position, goodSteps);
  }
}
