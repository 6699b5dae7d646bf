package org.shampoo4j.shampoo.state;

import java.util.HashSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a checkpoint file holds, parsed and checked: the kind of optimizer, the fingerprint
 * of its configuration, optimizer-wide counters (for example skipped updates) and one record per
 * parameter. Immutable.
 *
 * @param kind which optimizer wrote it, for example {@code shampoo}
 * @param fingerprint the configuration that produced the state
 * @param counters optimizer-wide counters
 * @param parameters one record per parameter, in the model's order
 */
public record CheckpointContents(String kind, Fingerprint fingerprint, Map<String, Long> counters,
    List<ParameterRecord> parameters) {
  /** Copies the collections and checks that parameter names are unique. */
  public CheckpointContents {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(fingerprint, "fingerprint");
    counters = Collections.unmodifiableMap(new LinkedHashMap<>(counters));
    parameters = List.copyOf(parameters);
    java.util.Set<String> seen = new HashSet<>();
    for (ParameterRecord p : parameters) {
      if (!seen.add(p.name())) {
        throw new IllegalArgumentException("parameter '" + p.name() + "' appears twice");
      }
    }
  }

  /** Bytes of array data over all parameters. */
  public long dataBytes() {
    return parameters.stream().mapToLong(p -> p.state().dataBytes()).sum();
  }
}
