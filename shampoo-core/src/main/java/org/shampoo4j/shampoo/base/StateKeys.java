package org.shampoo4j.shampoo.base;

import ai.djl.Device;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps a DJL parameter id and the device of the copy being updated to the key optimizer state is
 * kept under. The first device seen for an id uses the bare id (so reports and single-device
 * runs read naturally); copies of the same parameter on other devices (DJL's multi-device
 * parameter server updates each replica) get {@code id@device} and their own state.
 */
public final class StateKeys {
  private final Map<String, Device> firstDevice = new ConcurrentHashMap<>();

  /** An empty key map. */
  public StateKeys() {}

  /** The state key of parameter {@code id}'s copy on {@code device}. */
  public String key(String id, Device device) {
    Device first = firstDevice.computeIfAbsent(id, k -> device);
    return first.equals(device) ? id : id + "@" + device;
  }
}
