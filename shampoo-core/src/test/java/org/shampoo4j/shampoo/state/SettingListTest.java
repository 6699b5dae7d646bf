package org.shampoo4j.shampoo.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingListTest {
  private record Config(int a, String b, boolean c) {}

  private static final SettingList<Config> LIST = SettingList.of(
      Setting.checkpointed("a", Config::a),
      Setting.runtime("c", Config::c),
      Setting.checkpointed("b", Config::b));

  @Test
  void theFingerprintHoldsTheCheckpointedSettingsInOrder() {
    Fingerprint f = LIST.fingerprint(new Config(3, "x", true),
        Fingerprint.builder().put("first", 1)).build();
    assertEquals(List.of(Map.entry("first", "1"), Map.entry("a", "3"), Map.entry("b", "x")),
        List.copyOf(f.entries().entrySet()));
    assertEquals(List.of("c"), LIST.names(Setting.Role.RUNTIME));
    assertEquals(Map.of("c", "true"), LIST.values(new Config(3, "x", true), Setting.Role.RUNTIME));
  }

  @Test
  void aNameDeclaredTwiceOrAlreadyInTheFingerprintIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SettingList.of(Setting.<Config>checkpointed("a", Config::a),
            Setting.<Config>runtime("a", Config::c)));
    assertEquals("setting 'a' is declared twice", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> LIST.fingerprint(new Config(1, "y", false), Fingerprint.builder().put("a", 0)));
    assertThrows(IllegalArgumentException.class, () -> Setting.checkpointed(" ", Config::a));
  }
}
