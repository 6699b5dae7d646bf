package org.shampoo4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Map;

/** Bit-for-bit comparison of named float arrays (model weights), with a message naming the first difference. */
public final class BitExact {
  private BitExact() {}

  /** Fails unless both maps hold the same names with arrays equal bit for bit. */
  public static void assertIdentical(Map<String, float[]> expected, Map<String, float[]> actual) {
    assertEquals(expected.keySet(), actual.keySet(), "parameter names");
    for (Map.Entry<String, float[]> e : expected.entrySet()) {
      float[] a = e.getValue();
      float[] b = actual.get(e.getKey());
      assertEquals(a.length, b.length, e.getKey() + ": length");
      for (int i = 0; i < a.length; i++) {
        if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
          fail(e.getKey() + "[" + i + "]: expected " + a[i] + " but was " + b[i]);
        }
      }
    }
  }
}
