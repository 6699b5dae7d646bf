package org.shampoo4j.bench.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.shampoo4j.shampoo.state.Fingerprint;

/**
 * What a run was set up with, as ordered {@code name → value} entries: everything that shapes a
 * run's numbers except its length and its devices. A run checkpoint stores it as text ({@link
 * #text()}: {@code setup 2; name=value; ...}) and a resume must match it. Immutable.
 *
 * <p>Format 2 is derived from the described settings of the bench's configurations ({@code
 * TrainingSettings.settings()}, {@code VariantSettings.settings()}); run checkpoints written
 * before it carry a hand-written sentence that is refused with a message saying so.
 */
public final class RunSetup {
  /** The first entry of the text, naming its format. */
  static final String FORMAT = "setup 2";

  private static final String SEPARATOR = "; ";
  // An entry begins after "; " with a name and "="; names are word characters and dots.
  private static final Pattern ENTRY_START = Pattern.compile("; (?=[\\w.]+=)");

  // The same ordered name → value text as an optimizer checkpoint's configuration fingerprint,
  // which also words the differences.
  private final Fingerprint entries;

  private RunSetup(Map<String, String> entries) {
    Fingerprint.Builder b = Fingerprint.builder();
    entries.forEach(b::put);
    this.entries = b.build();
  }

  /**
   * The setup of {@code entries}, in order.
   *
   * @throws IllegalArgumentException if a name is not made of letters, digits, '_' and '.'
   */
  public static RunSetup of(Map<String, String> entries) {
    for (Map.Entry<String, String> e : entries.entrySet()) {
      if (!e.getKey().matches("[\\w.]+")) {
        throw new IllegalArgumentException("a setup name is made of letters, digits, '_' and "
            + "'.', got '" + e.getKey() + "'");
      }
      Objects.requireNonNull(e.getValue(), e.getKey());
    }
    return new RunSetup(entries);
  }

  /** The setup written as {@code text}, or empty if the text is not of {@link #FORMAT}. */
  public static Optional<RunSetup> parse(String text) {
    if (!text.startsWith(FORMAT + SEPARATOR) && !text.equals(FORMAT)) {
      return Optional.empty();
    }
    Map<String, String> entries = new LinkedHashMap<>();
    String body = text.substring(FORMAT.length());
    for (String part : ENTRY_START.split(body)) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      if (eq < 1 || entries.putIfAbsent(part.substring(0, eq), part.substring(eq + 1)) != null) {
        return Optional.empty();
      }
    }
    return Optional.of(new RunSetup(entries));
  }

  /** The entries, in order. */
  public Map<String, String> entries() {
    return entries.entries();
  }

  /** The text stored in run checkpoints: {@code setup 2; name=value; ...}. */
  public String text() {
    StringBuilder b = new StringBuilder(FORMAT);
    entries.entries().forEach((k, v) -> b.append(SEPARATOR).append(k).append('=').append(v));
    return b.toString();
  }

  /**
   * Why a checkpoint written under the setup {@code saved} (its stored text) cannot continue a run
   * set up as {@code current} (its text), or empty when they are the same.
   */
  static Optional<String> mismatch(String saved, String current) {
    if (saved.equals(current)) {
      return Optional.empty();
    }
    Optional<RunSetup> before = parse(saved);
    Optional<RunSetup> now = parse(current);
    if (before.isEmpty()) {
      return Optional.of("its setup '" + saved + "' is not in the format of this version ('"
          + FORMAT + "; name=value; ...'): it was written by an earlier version; start the run "
          + "afresh");
    }
    if (now.isEmpty()) {
      return Optional.of("its setup is '" + saved + "', this run's is '" + current + "'");
    }
    return Optional.of(String.join("; ", before.get().differences(now.get())));
  }

  /** The entries that differ, as {@code name: checkpoint 'a', this run 'b'}. */
  List<String> differences(RunSetup other) {
    return entries.differences(other.entries, "checkpoint", "this run");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RunSetup s && entries.equals(s.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return text();
  }
}
