package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class CodebookTest {
  /**
   * Brute force nearest value by the float32 midpoints, an exact tie to the even code (the
   * official kernels' rule): midpoint j separates codes j and j + 1, so a value on it goes up
   * exactly when j + 1 is even.
   */
  private static int nearest(Codebook cb, float y) {
    float[] mid = cb.midpoints();
    int count = 0;
    for (int j = 0; j < mid.length; j++) {
      if (y > mid[j] || (y == mid[j] && (j & 1) == 1)) {
        count++;
      }
    }
    return count;
  }

  @Property(tries = 200, seed = "42")
  void encodeIsTheNearestValue(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll long seed,
      @ForAll @FloatRange(min = -1f, max = 1f) float y) {
    Codebook cb = TestCodebooks.random(bits, new Random(seed), false);
    int code = cb.encode(y);
    assertEquals(nearest(cb, y), code);
    float best = Float.MAX_VALUE;
    for (int j = 0; j < cb.size(); j++) {
      best = Math.min(best, Math.abs(y - cb.decode(j)));
    }
    // Nearest up to the float32 rounding of the midpoints.
    assertTrue(Math.abs(y - cb.decode(code)) <= best + 1e-6f, "code " + code + " for " + y);
    assertTrue(Math.abs(y - cb.decode(code)) <= cb.maxRoundingError() + 1e-6f);
  }

  @Property(tries = 50, seed = "42")
  void everyValueEncodesToItsOwnCodeAndMidpointsGoToTheEvenCode(
      @ForAll @IntRange(min = 1, max = 8) int bits, @ForAll long seed) {
    Codebook cb = TestCodebooks.random(bits, new Random(seed), false);
    float[] mid = cb.midpoints();
    for (int j = 0; j < cb.size(); j++) {
      assertEquals(j, cb.encode(cb.decode(j)));
    }
    for (int j = 0; j < mid.length; j++) {
      int even = (j & 1) == 0 ? j : j + 1;
      assertEquals(even, cb.encode(mid[j]), "a value on midpoint " + j + " goes to the even code");
      assertEquals(j + 1, cb.encode(Math.nextUp(mid[j])), "just above midpoint " + j);
      assertEquals(j, cb.encode(Math.nextDown(mid[j])), "just below midpoint " + j);
    }
    assertEquals(0, cb.encode(-2f));
    assertEquals(cb.size() - 1, cb.encode(2f));
  }

  @Test
  void maxRoundingErrorCoversGapsAndEnds() {
    Codebook cb = Codebook.of("t", 2, new float[] {-0.5f, 0f, 0.25f, 1f});
    // Gaps: 0.5, 0.25, 0.75 -> half 0.375; distance from -1 to -0.5 is 0.5.
    assertEquals(0.5f, cb.maxRoundingError());
    assertEquals(1, cb.zeroCode());
    assertEquals("t/2", cb.id());
  }

  @Test
  void rejectsBadCodebooksWithReasons() {
    IllegalArgumentException e;
    e = assertThrows(IllegalArgumentException.class,
        () -> Codebook.of("t", 2, new float[] {-1f, 0f, 0f, 1f}));
    assertTrue(e.getMessage().contains("strictly increasing"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Codebook.of("t", 2, new float[] {-1f, 0f, 1f}));
    assertTrue(e.getMessage().contains("needs 4 values"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Codebook.of("t", 1, new float[] {-1f, 1.5f}));
    assertTrue(e.getMessage().contains("not in [-1, 1]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Codebook.of("t", 1, new float[] {Float.NaN, 1f}));
    assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Codebook.of("t", 9, new float[512]));
    assertThrows(IllegalArgumentException.class, () -> Codebook.of(" ", 1, new float[] {0, 1}));
  }

  @Test
  void valuesAreDefensiveCopies() {
    Codebook cb = TestCodebooks.linear(3);
    cb.values()[0] = 5f;
    cb.midpoints()[0] = 5f;
    assertEquals(-1f, cb.decode(0));
    assertEquals(0, cb.encode(-0.9f));
  }
}
