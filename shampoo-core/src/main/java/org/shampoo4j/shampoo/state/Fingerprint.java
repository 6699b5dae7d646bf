package org.shampoo4j.shampoo.state;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The configuration that produced a state, as ordered {@code key → value} text: representation,
 * quantization map, bits, block size, T1/T2, β, eps, base optimizer settings and so on. A state
 * loads only into an optimizer with an equal fingerprint, since the same bytes mean something else
 * under another configuration. Immutable.
 */
public final class Fingerprint {
  private final Map<String, String> entries;

  private Fingerprint(Map<String, String> entries) {
    this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The entries, in order. */
  public Map<String, String> entries() {
    return entries;
  }

  /** This fingerprint without the entries of {@code keys} (this one if it has none of them). */
  public Fingerprint without(Set<String> keys) {
    if (keys.stream().noneMatch(entries::containsKey)) {
      return this;
    }
    Map<String, String> kept = new LinkedHashMap<>(entries);
    kept.keySet().removeAll(keys);
    return new Fingerprint(kept);
  }

  /**
   * The differences to {@code other} as readable lines ({@code key: this 'a', other 'b'}), empty
   * when equal.
   *
   * @param thisName what this fingerprint is called in the lines, for example {@code checkpoint}
   * @param otherName what {@code other} is called, for example {@code optimizer}
   */
  public List<String> differences(Fingerprint other, String thisName, String otherName) {
    Set<String> keys = new LinkedHashSet<>(entries.keySet());
    keys.addAll(other.entries.keySet());
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      String a = entries.get(k);
      String b = other.entries.get(k);
      if (!Objects.equals(a, b)) {
        out.add(k + ": " + thisName + " " + quote(a) + ", " + otherName + " " + quote(b));
      }
    }
    return out;
  }

  private static String quote(String s) {
    return s == null ? "(absent)" : "'" + s + "'";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Fingerprint f && entries.equals(f.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return "Fingerprint" + entries;
  }

  /** Builder of {@link Fingerprint}. */
  public static final class Builder {
    private final Map<String, String> entries = new LinkedHashMap<>();

    private Builder() {}

    /** Adds an entry; a key may be used once. */
    public Builder put(String key, Object value) {
      Objects.requireNonNull(key, "key");
      if (entries.putIfAbsent(key, String.valueOf(value)) != null) {
        throw new IllegalArgumentException("duplicate fingerprint key '" + key + "'");
      }
      return this;
    }

    /** The fingerprint. */
    public Fingerprint build() {
      return new Fingerprint(entries);
    }
  }
}
