package org.shampoo4j.shampoo.state;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The parameters an optimizer's state belongs to, each with a stable name, the id the optimizer
 * sees in {@code update(id, ...)} and its current array. A checkpoint stores state under the
 * names (DJL gives parameters a random id per model instance, so ids do not survive a restart)
 * and loads it onto each array's device. Immutable.
 */
public final class ParameterSet {
  private final List<Entry> entries;
  private final Map<String, Entry> byName = new HashMap<>();
  private final Map<String, Entry> byId = new HashMap<>();

  private ParameterSet(List<Entry> entries) {
    this.entries = List.copyOf(entries);
    for (Entry e : this.entries) {
      if (byName.put(e.name(), e) != null) {
        throw new IllegalArgumentException("parameter name '" + e.name() + "' appears twice");
      }
      if (byId.put(e.id(), e) != null) {
        throw new IllegalArgumentException("parameter id '" + e.id() + "' appears twice");
      }
    }
  }

  /**
   * The parameters of an initialized model block, named by their paths (for example {@code
   * 01Linear_weight}).
   *
   * @throws IllegalStateException if a parameter is not initialized
   */
  public static ParameterSet of(Block block) {
    List<Entry> out = new ArrayList<>();
    for (Pair<String, Parameter> p : block.getParameters()) {
      Parameter parameter = p.getValue();
      if (!parameter.isInitialized()) {
        throw new IllegalStateException("parameter '" + p.getKey() + "' is not initialized");
      }
      out.add(new Entry(p.getKey(), parameter.getId(), parameter.getArray()));
    }
    return new ParameterSet(out);
  }

  /**
   * Parameters given as entries.
   *
   * @throws IllegalArgumentException if a name or an id appears twice
   */
  public static ParameterSet of(List<Entry> entries) {
    return new ParameterSet(entries);
  }

  /** Parameters given by id, each named by its id (for callers whose ids are stable). */
  public static ParameterSet ofIds(Map<String, NDArray> arraysById) {
    List<Entry> out = new ArrayList<>();
    new LinkedHashMap<>(arraysById).forEach((id, a) -> out.add(new Entry(id, id, a)));
    return new ParameterSet(out);
  }

  /** The entries, in the model's order. */
  public List<Entry> entries() {
    return entries;
  }

  /** The entry with a stable name. */
  public Optional<Entry> byName(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The entry with an optimizer id. */
  public Optional<Entry> byId(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /**
   * One parameter.
   *
   * @param name the stable name stored in checkpoints
   * @param id the id the optimizer's state is keyed by
   * @param array the parameter's current array (its device is where state is loaded)
   */
  public record Entry(String name, String id, NDArray array) {
    /** Checks the fields. */
    public Entry {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(array, "array");
    }
  }
}
