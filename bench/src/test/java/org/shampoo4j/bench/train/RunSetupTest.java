package org.shampoo4j.bench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunSetupTest {
  private static RunSetup setup(String seed) {
    Map<String, String> entries = new LinkedHashMap<>();
    entries.put("data", "digits 192/64; a value with a semicolon");
    entries.put("model", "mlp");
    entries.put("seed", seed);
    return RunSetup.of(entries);
  }

  @Test
  void theTextReadsBackAsTheSameSetup() {
    RunSetup s = setup("42");
    assertEquals("setup 2; data=digits 192/64; a value with a semicolon; model=mlp; seed=42",
        s.text());
    assertEquals(Optional.of(s), RunSetup.parse(s.text()));
    assertEquals(Optional.empty(), RunSetup.mismatch(s.text(), setup("42").text()));
  }

  @Test
  void aDifferentSetupIsNamedSettingBySetting() {
    assertEquals(Optional.of("seed: checkpoint '42', this run '7'"),
        RunSetup.mismatch(setup("42").text(), setup("7").text()));
  }

  @Test
  void aSetupOfAnEarlierVersionIsRefusedAsSuch() {
    String old = "data digits 192/64; model mlp width 16; batch 64; seed 42";
    assertEquals(Optional.empty(), RunSetup.parse(old));
    String why = RunSetup.mismatch(old, setup("42").text()).orElseThrow();
    assertTrue(why.contains("written by an earlier version"), why);
    assertTrue(why.contains(old), why);
  }

  @Test
  void aNameOutsideTheAlphabetIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> RunSetup.of(Map.of("a name", "1")));
    assertThrows(IllegalArgumentException.class, () -> RunSetup.of(Map.of("a=b", "1")));
  }
}
