package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The one place quantization settings are checked: defaults, ranges, and the spec they make. */
class QuantizationSettingsTest {
  private static final QuantizationMap LINEAR = new QuantizationMap() {
    @Override
    public String name() {
      return "test-linear";
    }

    @Override
    public Codebook codebook(int bits) {
      return TestCodebooks.linear(bits);
    }
  };

  private static void assertMessage(
      org.junit.jupiter.api.function.Executable call, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' lacks '" + part + "'");
    }
  }

  @Test
  void defaultsAreThoseOfShampooStates() {
    QuantizationSettings d = QuantizationSettings.defaults();
    assertEquals(4, d.bits());
    assertEquals(64, d.blockSize());
    assertEquals(Blocking.ROWS, d.blocking());
    assertEquals(4096, d.minQuantizedElements());
    assertEquals(d, QuantizationSettings.builder().build());
    assertTrue(d.quantizes(4096));
    assertTrue(!d.quantizes(4095));
  }

  @Test
  void everySetterRejectsItsBadValuesNamingTheFieldAndTheRange() {
    for (int bits : new int[] {0, -1, 9}) {
      assertMessage(() -> QuantizationSettings.builder().bits(bits),
          "quantization bits", "[1, 8]", "got " + bits);
    }
    assertMessage(() -> QuantizationSettings.builder().blockSize(0),
        "quantization block size", ">= 1", "got 0");
    assertMessage(() -> QuantizationSettings.builder().minQuantizedElements(-5),
        "minQuantizedElements", ">= 0", "got -5");
    assertThrows(NullPointerException.class, () -> QuantizationSettings.builder().blocking(null));
    // The extremes of every range are accepted.
    QuantizationSettings.builder().bits(1).bits(8).blockSize(1).minQuantizedElements(0)
        .minQuantizedElements(Long.MAX_VALUE).build();
  }

  @Test
  void problemsListsEveryBadValueWithTheSetterMessages() {
    assertEquals(List.of(), QuantizationSettings.problems(4, 64, Blocking.FLAT, 0));
    List<String> all = QuantizationSettings.problems(9, 0, null, -1);
    assertEquals(4, all.size(), all.toString());
    IllegalArgumentException bits = assertThrows(IllegalArgumentException.class,
        () -> QuantizationSettings.builder().bits(9));
    assertEquals(bits.getMessage(), all.get(0));
  }

  @Test
  void toBuilderAndEqualityCoverEveryField() {
    QuantizationSettings s = QuantizationSettings.builder().bits(3).blockSize(32)
        .blocking(Blocking.FLAT).minQuantizedElements(7).build();
    assertEquals(s, s.toBuilder().build());
    assertEquals(s.hashCode(), s.toBuilder().build().hashCode());
    assertNotEquals(s, s.toBuilder().bits(4).build());
    assertNotEquals(s, s.toBuilder().blockSize(16).build());
    assertNotEquals(s, s.toBuilder().blocking(Blocking.ROWS).build());
    assertNotEquals(s, s.toBuilder().minQuantizedElements(8).build());
  }

  @Test
  void theSpecOfAMapTakesItsCodebookAtTheSettingsWidth() {
    QuantizationSettings s = QuantizationSettings.builder().bits(3).blockSize(16).build();
    QuantizationSpec spec = s.spec(LINEAR);
    assertEquals(TestCodebooks.linear(3), spec.codebook());
    assertEquals(s, spec.settings());
    assertEquals(16, spec.blockSize());
    assertEquals(Blocking.ROWS, spec.blocking());
    assertEquals(spec, QuantizationSpec.builder(TestCodebooks.linear(3)).blockSize(16)
        .blocking(Blocking.ROWS).build());
    assertMessage(() -> QuantizationSpec.of(TestCodebooks.linear(4), s), "test-linear/4", "3");
  }
}
