package org.shampoo4j.shampoo.state;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The described settings of one configuration type, in order, each name once: the single place
 * from which its checkpoint fingerprint is derived ({@link #fingerprint}) and its runtime settings
 * are told apart ({@link #names(Setting.Role)}). Immutable.
 *
 * @param <C> the configuration type
 */
public final class SettingList<C> {
  private final List<Setting<C>> settings;

  private SettingList(List<Setting<C>> settings) {
    this.settings = List.copyOf(settings);
  }

  /**
   * The list of {@code settings} in the given order (the order of the fingerprint's entries).
   *
   * @throws IllegalArgumentException if a name is used twice
   */
  @SafeVarargs
  public static <C> SettingList<C> of(Setting<C>... settings) {
    Set<String> seen = new HashSet<>();
    for (Setting<C> s : settings) {
      if (!seen.add(s.name())) {
        throw new IllegalArgumentException("setting '" + s.name() + "' is declared twice");
      }
    }
    return new SettingList<>(List.of(settings));
  }

  /** Every setting, in order. */
  public List<Setting<C>> all() {
    return settings;
  }

  /** The names of the settings of {@code role}, in order. */
  public List<String> names(Setting.Role role) {
    List<String> out = new ArrayList<>();
    for (Setting<C> s : settings) {
      if (s.role() == role) {
        out.add(s.name());
      }
    }
    return List.copyOf(out);
  }

  /**
   * The values of the settings of {@code role} in {@code configuration}, in order, each as
   * {@link String#valueOf(Object)}.
   */
  public Map<String, String> values(C configuration, Setting.Role role) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Setting<C> s : settings) {
      if (s.role() == role) {
        out.put(s.name(), String.valueOf(s.value(configuration)));
      }
    }
    return out;
  }

  /**
   * Adds the {@link Setting.Role#CHECKPOINTED} settings of {@code configuration} to {@code
   * fingerprint}, in order, each under its name.
   *
   * @return {@code fingerprint}
   * @throws IllegalArgumentException if the builder already holds one of the names
   */
  public Fingerprint.Builder fingerprint(C configuration, Fingerprint.Builder fingerprint) {
    values(configuration, Setting.Role.CHECKPOINTED).forEach(fingerprint::put);
    return fingerprint;
  }
}
