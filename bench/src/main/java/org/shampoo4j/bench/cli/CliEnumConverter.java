package org.shampoo4j.bench.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Converts a command-line word to an enum constant by its command-line name: the constant's name
 * in lower case with '-' for '_' ({@code FASHION_MNIST} is {@code fashion-mnist}); the constant's
 * own name is accepted too, in any case ({@code deferred_throw}). A bad word names every choice.
 *
 * @param <E> the enum
 */
final class CliEnumConverter<E extends Enum<E>> implements ITypeConverter<E> {
  private final Class<E> type;

  private CliEnumConverter(Class<E> type) {
    this.type = Objects.requireNonNull(type, "type");
  }

  /** Registers a converter for each of {@code types} on {@code cl}; returns {@code cl}. */
  @SafeVarargs
  static CommandLine register(CommandLine cl, Class<? extends Enum<?>>... types) {
    for (Class<? extends Enum<?>> t : types) {
      registerOne(cl, t);
    }
    return cl;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void registerOne(CommandLine cl, Class<? extends Enum<?>> type) {
    cl.registerConverter((Class) type, new CliEnumConverter(type));
  }

  /** The command-line name of a constant. */
  static String cliName(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  @Override
  public E convert(String value) {
    String word = value.trim();
    for (E c : type.getEnumConstants()) {
      if (cliName(c).equalsIgnoreCase(word) || c.name().equalsIgnoreCase(word)) {
        return c;
      }
    }
    List<String> names = new ArrayList<>();
    for (E c : type.getEnumConstants()) {
      names.add(cliName(c));
    }
    throw new TypeConversionException(
        "must be one of " + String.join("|", names) + ", got '" + value + "'");
  }
}
