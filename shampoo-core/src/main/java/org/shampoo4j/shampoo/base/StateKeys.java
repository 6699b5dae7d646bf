package org.shampoo4j.shampoo.base;

import ai.djl.Device;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps a DJL parameter id and the device of the copy being updated to the key optimizer state is
 * kept under. The first device seen for an id uses the bare id (so reports and single-device
 * runs read naturally); copies of the same parameter on other devices (DJL's multi-device
 * parameter server updates each replica) get {@code id@device} and their own state. Every key
 * handed out is remembered with its parameter and device ({@link #copies}), so a memory report
 * can count each device's copies.
 */
public final class StateKeys {
  private final Map<String, Device> firstDevice = new ConcurrentHashMap<>();
  // Insertion order is first use, the order reports list devices in.
  private final Map<String, Copy> copies = Collections.synchronizedMap(new LinkedHashMap<>());

  /**
   * One parameter copy that was given a key.
   *
   * @param key the state key
   * @param parameterId the DJL parameter id
   * @param device the device of the copy
   */
  public record Copy(String key, String parameterId, Device device) {
    /** Checks the fields. */
    public Copy {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(parameterId, "parameterId");
      Objects.requireNonNull(device, "device");
    }
  }

  /** An empty key map. */
  public StateKeys() {}

  /** The state key of parameter {@code id}'s copy on {@code device}. */
  public String key(String id, Device device) {
    Device first = firstDevice.computeIfAbsent(id, k -> device);
    String key = first.equals(device) ? id : id + "@" + device;
    if (!copies.containsKey(key)) {
      copies.putIfAbsent(key, new Copy(key, id, device));
    }
    return key;
  }

  /** Every key handed out so far, with its parameter and device, in first-use order. */
  public List<Copy> copies() {
    synchronized (copies) {
      return List.copyOf(copies.values());
    }
  }
}
