package org.shampoo4j.shampoo.state;

import java.util.Objects;
import java.util.function.Function;

/**
 * One setting of a configuration: its name, whether it enters the checkpoint {@link Fingerprint},
 * and how to read its value. A configuration declares its settings once as a {@link SettingList};
 * its fingerprint is derived from that list rather than written by hand, so a setting cannot be
 * added without being classified.
 *
 * @param <C> the configuration the setting is read from
 * @param name the setting's name, which is its fingerprint key when it is {@link Role#CHECKPOINTED}
 * @param role whether and how the setting reaches the fingerprint
 * @param reader reads the value from a configuration; the fingerprint holds its {@link
 *     String#valueOf(Object)}
 */
public record Setting<C>(String name, Role role, Function<? super C, ?> reader) {
  /** How a setting relates to the state it produces. */
  public enum Role {
    /**
     * Shapes the state or its continuation: a state written under one value means something else
     * under another, so the value is a fingerprint entry.
     */
    CHECKPOINTED,
    /**
     * Changes no result of a good step (a policy for bad input, a device choice, a faster but
     * bit-identical path) or is checked by a record of its own (the learning-rate tracker, see
     * {@link LearningRateRecord}): not in the fingerprint.
     */
    RUNTIME,
    /**
     * Describes a component the optimizer builds (a base optimizer spec); the component, which
     * may be replaced at assembly, enters the fingerprint with its own name and configuration.
     */
    COMPONENT
  }

  /** Checks that every part is present and the name is not blank. */
  public Setting {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(reader, "reader");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a setting needs a name");
    }
  }

  /** A setting that enters the fingerprint under {@code name}. */
  public static <C> Setting<C> checkpointed(String name, Function<? super C, ?> reader) {
    return new Setting<>(name, Role.CHECKPOINTED, reader);
  }

  /** A setting that stays out of the fingerprint. */
  public static <C> Setting<C> runtime(String name, Function<? super C, ?> reader) {
    return new Setting<>(name, Role.RUNTIME, reader);
  }

  /** A setting that reaches the fingerprint through the component built from it. */
  public static <C> Setting<C> component(String name, Function<? super C, ?> reader) {
    return new Setting<>(name, Role.COMPONENT, reader);
  }

  /** This setting's value in {@code configuration}. */
  public Object value(C configuration) {
    return reader.apply(configuration);
  }
}
