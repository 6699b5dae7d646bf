package org.shampoo4j.shampoo.distributed;

import ai.djl.Device;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * The replicas of a DJL multi-device {@code Trainer}, in DJL's order: replica 0 is the device
 * whose gradient buffer receives the sum (the first of {@code optDevices}), and DJL calls {@code
 * Optimizer.update} for the replicas in this order. Immutable.
 *
 * <p>{@link #of} takes distinct devices, as DJL's trainer requires. {@link #simulated} makes N
 * logical replicas on one device: DJL's PyTorch engine maps every CPU id to the one CPU device, so
 * this is how the sharded logic (ownership, once-per-step updates, replica copies) is exercised
 * without GPUs; ownership is then logical (memory reports count it per replica index).
 */
public final class DeviceGroup {
  private final List<Device> devices;
  private final boolean distinct;

  private DeviceGroup(List<Device> devices, boolean distinct) {
    this.devices = List.copyOf(devices);
    this.distinct = distinct;
  }

  /**
   * The trainer's devices, in the order given to {@code optDevices}.
   *
   * @throws IllegalArgumentException if the list is empty or repeats a device
   */
  public static DeviceGroup of(Device... devices) {
    Objects.requireNonNull(devices, "devices");
    if (devices.length == 0) {
      throw new IllegalArgumentException("a device group needs at least one device");
    }
    List<Device> list = List.of(devices);
    if (new HashSet<>(list).size() != list.size()) {
      throw new IllegalArgumentException("devices must be distinct (DJL's trainer refuses "
          + "duplicates), got " + list + "; use DeviceGroup.simulated for logical replicas");
    }
    return new DeviceGroup(list, true);
  }

  /**
   * {@code replicas} logical replicas that all live on {@code device} (for tests and CPU runs).
   *
   * @throws IllegalArgumentException if {@code replicas < 1}
   */
  public static DeviceGroup simulated(int replicas, Device device) {
    Objects.requireNonNull(device, "device");
    if (replicas < 1) {
      throw new IllegalArgumentException("replica count must be positive, got " + replicas);
    }
    return new DeviceGroup(java.util.Collections.nCopies(replicas, device), replicas == 1);
  }

  /** Number of replicas. */
  public int size() {
    return devices.size();
  }

  /** The device of replica {@code index}. */
  public Device device(int index) {
    return devices.get(index);
  }

  /** The devices, in replica order. */
  public List<Device> devices() {
    return devices;
  }

  /** Whether every replica has its own device (false for a {@link #simulated} group of 2+). */
  public boolean distinct() {
    return distinct;
  }

  /** A label for replica {@code index}: the device, with the index when devices repeat. */
  public String label(int index) {
    return distinct ? devices.get(index).toString() : "replica" + index + "@" + devices.get(index);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeviceGroup g && g.devices.equals(devices) && g.distinct == distinct;
  }

  @Override
  public int hashCode() {
    return devices.hashCode() * 31 + Boolean.hashCode(distinct);
  }

  @Override
  public String toString() {
    return (distinct ? "" : "simulated ") + devices;
  }
}
