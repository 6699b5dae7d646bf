package org.shampoo4j.shampoo.base;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One long-lived {@link NDManager} per device, owned by an optimizer: its state arrays are
 * attached here (not to the model's manager) so that closing the optimizer frees them, and the
 * state is created on the parameters' own device and engine.
 */
public final class DeviceManagers implements AutoCloseable {
  private final Map<Device, NDManager> managers = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** An empty set of managers; managers are created on first use per device. */
  public DeviceManagers() {}

  /**
   * The manager for the device (and engine) of {@code like}, created on first use.
   *
   * @throws IllegalStateException if this set was closed
   */
  public NDManager forArray(NDArray like) {
    if (closed) {
      throw new IllegalStateException("the optimizer was closed; its state managers are gone");
    }
    return forDevice(like.getDevice(), like.getManager().getEngine().getEngineName());
  }

  /**
   * The manager for {@code device} of the named engine, created on first use (for state that
   * lives on another device than the array at hand, as under sharding).
   *
   * @throws IllegalStateException if this set was closed
   */
  public NDManager forDevice(Device device, String engine) {
    if (closed) {
      throw new IllegalStateException("the optimizer was closed; its state managers are gone");
    }
    return managers.computeIfAbsent(device, d -> NDManager.newBaseManager(d, engine));
  }

  /**
   * A short-lived scratch manager on the device of {@code like}: temporaries of one step are
   * created in it (by temporarily attaching the step's inputs to it) and freed when it closes.
   */
  public NDManager scratch(NDArray like) {
    return forArray(like).newSubManager();
  }

  /** The devices that have a manager. */
  public java.util.Set<Device> devices() {
    return java.util.Set.copyOf(managers.keySet());
  }

  /** Closes every manager and with them every array attached to them. */
  @Override
  public void close() {
    closed = true;
    managers.values().forEach(NDManager::close);
    managers.clear();
  }
}
