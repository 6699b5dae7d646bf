package org.shampoo4j.shampoo.guard;

import java.io.IOException;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.testing.GuardedChecks;

/**
 * Under the default policy, one bad value at a random position of a random step leaves the weight
 * bits (−0 and all) and the saved state bytes exactly as before that step, for each base
 * optimizer of this module (4-bit AdamW: the same property in the adamw4 module).
 */
class GuardedPolicyPropertyTest {
  @Provide
  Arbitrary<Float> badValues() {
    return GuardedChecks.badValues();
  }

  @Property(tries = 24, seed = "27")
  void aBadValueAnywhereChangesNoBit(@ForAll("badValues") float bad,
      @ForAll @IntRange(min = 0, max = 41) int position,
      @ForAll @IntRange(min = 0, max = 3) int goodSteps,
      @ForAll @IntRange(min = 0, max = 1) int baseIndex) throws IOException {
    BaseOptimizer base = baseIndex == 0
        ? SgdMomentum.builder().momentum(0.9f).weightDecay(0.01f).build()
        : AdamW.builder().weightDecay(0.01f).build();
    GuardedChecks.aBadValueChangesNoBit(base, bad, position, goodSteps);
  }
}
