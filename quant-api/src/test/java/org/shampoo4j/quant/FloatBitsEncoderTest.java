package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The lookup on float bits encodes exactly like the codebook's own search. */
class FloatBitsEncoderTest {
  @Property(tries = 40, seed = "42")
  void equalsCodebookEncodeOnThresholdsNeighboursAndRandomValues(
      @ForAll @IntRange(min = 1, max = 8) int bits, @ForAll long seed) {
    Random r = new Random(seed);
    Codebook cb = TestCodebooks.random(bits, r, r.nextBoolean());
    FloatBitsEncoder encoder = FloatBitsEncoder.of(cb);
    if (!encoder.usable()) {
      return;
    }
    for (float m : cb.midpoints()) {
      for (float y : new float[] {m, Math.nextUp(m), Math.nextDown(m), -m}) {
        assertEquals(cb.encode(y), encoder.encode(y), "y = " + y);
      }
    }
    for (float y : new float[] {0f, -0f, 1f, -1f, Math.nextUp(1f), -Math.nextUp(1f),
        Float.MIN_VALUE, -Float.MIN_VALUE, 3f, -3f}) {
      assertEquals(cb.encode(y), encoder.encode(y), "y = " + y);
    }
    for (int i = 0; i < 20_000; i++) {
      float y = i % 2 == 0 ? 2f * r.nextFloat() - 1f
          : (float) (r.nextGaussian() * Math.pow(10, -r.nextInt(8)));
      assertEquals(cb.encode(y), encoder.encode(y), "y = " + y);
    }
  }

  @Property(tries = 10, seed = "42")
  void theProjectsMapsGetATable(@ForAll @IntRange(min = 2, max = 8) int bits) {
    assertTrue(FloatBitsEncoder.of(TestCodebooks.linear(bits)).usable());
  }
}
