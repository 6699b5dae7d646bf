package org.shampoo4j.bench.random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link Lcg48} draws what {@code java.util.Random} draws for the same seed (so the bench's batch
 * orders and augmentations are unchanged), and its one-number state continues the sequence.
 */
class Lcg48Test {

  @Property(tries = 50, seed = "26")
  void drawsWhatJavaUtilRandomDraws(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = Integer.MAX_VALUE) int bound) {
    Random expected = new Random(seed);
    Lcg48 actual = Lcg48.seeded(seed);
    for (int i = 0; i < 20; i++) {
      assertEquals(expected.nextInt(bound), actual.nextInt(bound), "nextInt(" + bound + ")");
      assertEquals(expected.nextInt(64), actual.nextInt(64), "power-of-two bound");
      assertEquals(expected.nextInt(9), actual.nextInt(9));
      assertEquals(expected.nextBoolean(), actual.nextBoolean());
      assertEquals(expected.nextInt(), actual.nextInt());
      assertEquals(expected.nextLong(), actual.nextLong());
      assertEquals(expected.nextFloat(), actual.nextFloat());
      assertEquals(expected.nextDouble(), actual.nextDouble());
    }
  }

  @Property(tries = 30, seed = "27")
  void theStateContinuesTheSequence(@ForAll long seed,
      @ForAll @IntRange(min = 0, max = 500) int drawn) {
    Lcg48 a = Lcg48.seeded(seed);
    for (int i = 0; i < drawn; i++) {
      a.nextInt(1000);
    }
    Lcg48 b = Lcg48.fromState(a.state());
    for (int i = 0; i < 50; i++) {
      assertEquals(a.nextInt(1 + i), b.nextInt(1 + i));
    }
  }

  @Property(tries = 20, seed = "28")
  void aStateWithBitsAbove48IsRefused(@ForAll @IntRange(min = 48, max = 63) int bit) {
    assertThrows(IllegalArgumentException.class, () -> Lcg48.fromState(1L << bit));
  }
}
