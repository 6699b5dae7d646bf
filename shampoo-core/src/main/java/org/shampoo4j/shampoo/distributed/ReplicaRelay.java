package org.shampoo4j.shampoo.distributed;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Carries one training step's result from the replica that computed it to the other replicas of
 * a {@link Sharded} run. DJL calls {@code update} for the replicas of a parameter one after the
 * other (replica 0 first); the first call computes the new weight and {@link #publish publishes}
 * it, the next {@code N − 1} calls {@link #relay} it: they copy it into their own weight with
 * {@code toDevice}, so all replicas are bit-identical. A skipped step (non-finite gradient) is
 * relayed as "nothing to do". On distinct devices every replica must be updated exactly once per
 * step (DJL's order is not relied on: the first call, which holds the summed gradient, computes).
 * Thread-safe; one per optimizer.
 */
public final class ReplicaRelay implements AutoCloseable {
  private static final NDIndex ALL = new NDIndex("...");

  private final DeviceGroup group;
  private final Map<String, Pending> pending = new HashMap<>();

  /** A relay for the replicas of {@code group}. */
  public ReplicaRelay(DeviceGroup group) {
    this.group = Objects.requireNonNull(group, "group");
  }

  /**
   * If a step of {@code parameterId} is waiting for this replica, copies it into {@code weight}
   * and returns true; returns false when this call starts a new step.
   *
   * @throws IllegalStateException if the replica's device is not in the group, or (on distinct
   *     devices) was already updated in this step: the trainer's devices differ from the group's
   */
  public synchronized boolean relay(String parameterId, NDArray weight) {
    Pending p = pending.get(parameterId);
    if (p == null) {
      requireMember(parameterId, weight);
      return false;
    }
    requireMember(parameterId, weight);
    if (group.distinct() && !p.devices.add(weight.getDevice())) {
      throw new IllegalStateException("parameter '" + parameterId + "': the replica on "
          + weight.getDevice() + " was updated twice in one step; the trainer's devices "
          + "(optDevices) must equal the sharded group " + group);
    }
    if (p.weight != null) {
      if (!p.weight.getShape().equals(weight.getShape())) {
        throw new IllegalArgumentException("replica " + p.served + " of parameter '"
            + parameterId + "' has shape " + weight.getShape() + ", replica 0 has "
            + p.weight.getShape());
      }
      NDArray copy = p.weight.toDevice(weight.getDevice(), false);
      weight.set(ALL, copy);
      if (copy != p.weight) {
        copy.close();
      }
    }
    if (++p.served == group.size()) {
      pending.remove(parameterId);
      if (p.weight != null) {
        p.weight.close();
      }
    }
    return true;
  }

  /**
   * Publishes the step just computed by replica 0 for the other replicas.
   *
   * @param parameterId the parameter
   * @param newWeight the updated weight (its values are kept: the relay attaches it to {@code
   *     keeper} until the last replica has it), or null when the step was skipped
   * @param keeper a long-lived manager on replica 0's device
   */
  public synchronized void publish(String parameterId, NDArray newWeight, NDManager keeper) {
    if (group.size() == 1) {
      return;
    }
    if (pending.containsKey(parameterId)) {
      throw new IllegalStateException("parameter '" + parameterId + "': a new step started "
          + "before every replica received the previous one");
    }
    if (newWeight != null) {
      newWeight.attach(keeper);
    }
    Pending p = new Pending(newWeight);
    if (newWeight != null) {
      p.devices.add(newWeight.getDevice());
    }
    pending.put(parameterId, p);
  }

  /** Frees steps not yet relayed to every replica (an interrupted training step). */
  @Override
  public synchronized void close() {
    for (Pending p : pending.values()) {
      if (p.weight != null) {
        p.weight.close();
      }
    }
    pending.clear();
  }

  private void requireMember(String parameterId, NDArray weight) {
    if (!group.devices().contains(weight.getDevice())) {
      throw new IllegalStateException("parameter '" + parameterId + "': DJL updated a copy on "
          + weight.getDevice() + ", which is not in the sharded group " + group + "; the "
          + "trainer's devices (optDevices) must equal the group");
    }
  }

  private static final class Pending {
    final NDArray weight;
    final java.util.Set<Device> devices = new java.util.HashSet<>();
    int served = 1;

    Pending(NDArray weight) {
      this.weight = weight;
    }
  }
}
