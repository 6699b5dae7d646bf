package org.shampoo4j.shampoo.state;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The stored state of one piece of an optimizer (a preconditioner, a base optimizer's state for
 * one parameter, ...) on the host: named arrays exactly as held on the device, and named counters.
 * Names are dotted paths; a composite state {@linkplain Builder#include includes} its parts under
 * a prefix and hands each part its {@linkplain #section section} back on restore. Immutable.
 *
 * <p>This is the unit of the checkpoint SPI: a state exports itself into a snapshot and restores
 * itself from one through a {@link Reader}, which checks every array against the data type and
 * shape the state holds and that every entry was used.
 */
public final class StateSnapshot {
  /** A snapshot without entries: a state that does not exist (yet). */
  public static final StateSnapshot EMPTY = new Builder().build();

  private final Map<String, HostArray> arrays;
  private final Map<String, Long> counters;

  private StateSnapshot(Builder b) {
    this.arrays = Collections.unmodifiableMap(new LinkedHashMap<>(b.arrays));
    this.counters = Collections.unmodifiableMap(new LinkedHashMap<>(b.counters));
  }

  /** An empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The arrays by name, in insertion order. */
  public Map<String, HostArray> arrays() {
    return arrays;
  }

  /** The counters by name, in insertion order. */
  public Map<String, Long> counters() {
    return counters;
  }

  /** Whether the snapshot has no entries. */
  public boolean isEmpty() {
    return arrays.isEmpty() && counters.isEmpty();
  }

  /** Bytes of array data (without names and shapes). */
  public long dataBytes() {
    long n = 0;
    for (HostArray a : arrays.values()) {
      n += a.byteCount();
    }
    return n;
  }

  /** The entries whose names start with {@code prefix + "."}, with that prefix removed. */
  public StateSnapshot section(String prefix) {
    String p = prefix + ".";
    Builder b = builder();
    arrays.forEach((k, v) -> {
      if (k.startsWith(p)) {
        b.array(k.substring(p.length()), v);
      }
    });
    counters.forEach((k, v) -> {
      if (k.startsWith(p)) {
        b.counter(k.substring(p.length()), v);
      }
    });
    return b.build();
  }

  /** A reader that restores arrays into {@code manager}, on its device. */
  public Reader reader(NDManager manager) {
    return new Reader(this, manager);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StateSnapshot s && arrays.equals(s.arrays) && counters.equals(s.counters);
  }

  @Override
  public int hashCode() {
    return Objects.hash(arrays, counters);
  }

  @Override
  public String toString() {
    return "StateSnapshot[arrays=" + arrays.keySet() + ", counters=" + counters + "]";
  }

  /** Builder of {@link StateSnapshot}; a name may be used once. */
  public static final class Builder {
    private final Map<String, HostArray> arrays = new LinkedHashMap<>();
    private final Map<String, Long> counters = new LinkedHashMap<>();

    private Builder() {}

    /** Adds a device array, copied to the host byte for byte. */
    public Builder array(String name, NDArray array) {
      return array(name, HostArray.of(array));
    }

    /** Adds a host array. */
    public Builder array(String name, HostArray array) {
      requireNew(name);
      arrays.put(name, Objects.requireNonNull(array, "array"));
      return this;
    }

    /** Adds a counter. */
    public Builder counter(String name, long value) {
      requireNew(name);
      counters.put(name, value);
      return this;
    }

    /** Adds every entry of {@code part} under {@code prefix + "."}. */
    public Builder include(String prefix, StateSnapshot part) {
      part.arrays.forEach((k, v) -> array(prefix + "." + k, v));
      part.counters.forEach((k, v) -> counter(prefix + "." + k, v));
      return this;
    }

    private void requireNew(String name) {
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("entry names must be non-empty");
      }
      if (arrays.containsKey(name) || counters.containsKey(name)) {
        throw new IllegalArgumentException("duplicate state entry '" + name + "'");
      }
    }

    /** The snapshot. */
    public StateSnapshot build() {
      return new StateSnapshot(this);
    }
  }

  /**
   * Restores a snapshot's entries one by one, checking each against what the state holds, and
   * finally that no entry was left unused ({@link #finish}). Arrays are created in the reader's
   * manager; a state restores into a scope and swaps only once everything was read.
   */
  public static final class Reader {
    private final StateSnapshot snapshot;
    private final NDManager manager;
    private final Set<String> used = new LinkedHashSet<>();

    private Reader(StateSnapshot snapshot, NDManager manager) {
      this.snapshot = snapshot;
      this.manager = Objects.requireNonNull(manager, "manager");
    }

    /** The manager arrays are created in. */
    public NDManager manager() {
      return manager;
    }

    /**
     * The array {@code name} as a new device array of the same type and shape as {@code like}.
     *
     * @throws IllegalArgumentException if it is missing or differs in type or shape
     */
    public NDArray array(String name, NDArray like) {
      return array(name, like.getDataType(), like.getShape());
    }

    /**
     * The array {@code name} as a new device array.
     *
     * @throws IllegalArgumentException if it is missing or differs in type or shape
     */
    public NDArray array(String name, DataType type, Shape shape) {
      HostArray a = snapshot.arrays.get(name);
      if (a == null) {
        throw new IllegalArgumentException("the checkpoint has no array '" + name + "'");
      }
      used.add(name);
      return a.toNDArray(manager, name, type, shape);
    }

    /**
     * The counter {@code name}.
     *
     * @throws IllegalArgumentException if it is missing
     */
    public long counter(String name) {
      Long v = snapshot.counters.get(name);
      if (v == null) {
        throw new IllegalArgumentException("the checkpoint has no counter '" + name + "'");
      }
      used.add(name);
      return v;
    }

    /**
     * A counter that must lie in {@code [min, max]}.
     *
     * @throws IllegalArgumentException if it is missing or out of range
     */
    public long counter(String name, long min, long max) {
      long v = counter(name);
      if (v < min || v > max) {
        throw new IllegalArgumentException(
            "counter '" + name + "' is " + v + " in the checkpoint, must be in [" + min + ", "
                + max + "]");
      }
      return v;
    }

    /** Marks every entry under {@code prefix + "."} as used (a part restored them itself). */
    public void markSection(String prefix) {
      String p = prefix + ".";
      snapshot.arrays.keySet().stream().filter(k -> k.startsWith(p)).forEach(used::add);
      snapshot.counters.keySet().stream().filter(k -> k.startsWith(p)).forEach(used::add);
    }

    /**
     * Checks that every entry was used.
     *
     * @throws IllegalArgumentException naming the entries the state does not have
     */
    public void finish() {
      Set<String> extra = new LinkedHashSet<>(snapshot.arrays.keySet());
      extra.addAll(snapshot.counters.keySet());
      extra.removeAll(used);
      if (!extra.isEmpty()) {
        throw new IllegalArgumentException(
            "the checkpoint has entries this state does not hold: " + extra);
      }
    }
  }
}
