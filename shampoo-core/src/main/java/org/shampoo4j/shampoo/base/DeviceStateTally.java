package org.shampoo4j.shampoo.base;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.memory.DeviceMemory;

/**
 * Sums a base optimizer's state per device: every parameter copy (one state key each, see {@link
 * StateKeys}) counts on the device that holds it, so replicas on several devices each report
 * their own full state.
 */
final class DeviceStateTally {
  private DeviceStateTally() {}

  /**
   * One entry per device, in first-use order: its parameter copies as units, their bytes as
   * base-optimizer bytes (no preconditioners).
   *
   * @param copies the keys handed out
   * @param memory the state bytes kept under a key (zero for a key without state)
   */
  static List<DeviceMemory> perDevice(List<StateKeys.Copy> copies,
      Function<String, MemoryFootprint> memory) {
    Map<String, DeviceMemory> byDevice = new LinkedHashMap<>();
    for (StateKeys.Copy c : copies) {
      MemoryFootprint bytes = memory.apply(c.key());
      String device = c.device().toString();
      DeviceMemory d = byDevice.computeIfAbsent(device,
          k -> new DeviceMemory(k, 0, MemoryFootprint.ZERO, MemoryFootprint.ZERO));
      byDevice.put(device, d.plus(1, MemoryFootprint.ZERO, bytes));
    }
    return List.copyOf(new ArrayList<>(byDevice.values()));
  }
}
