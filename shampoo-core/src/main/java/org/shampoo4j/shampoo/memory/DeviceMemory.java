package org.shampoo4j.shampoo.memory;

import java.util.Objects;
import org.shampoo4j.quant.MemoryFootprint;

/**
 * Optimizer memory held on one device (or one logical replica of a simulated group), from the
 * real buffers of the work units it owns.
 *
 * @param device the device, or the replica label of a simulated group
 * @param units how many units (Shampoo blocks, or whole unpreconditioned parameters, per replica
 *     copy under replication) it owns
 * @param preconditioners bytes of their L and R states
 * @param baseOptimizer bytes of their base-optimizer state
 */
public record DeviceMemory(String device, int units, MemoryFootprint preconditioners,
    MemoryFootprint baseOptimizer) {
  /** Checks the fields. */
  public DeviceMemory {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(preconditioners, "preconditioners");
    Objects.requireNonNull(baseOptimizer, "baseOptimizer");
  }

  /** Preconditioner and base-optimizer bytes together. */
  public MemoryFootprint total() {
    return preconditioners.plus(baseOptimizer);
  }

  /** This entry plus another one's units and bytes (same device). */
  public DeviceMemory plus(int moreUnits, MemoryFootprint pre, MemoryFootprint base) {
    return new DeviceMemory(device, units + moreUnits, preconditioners.plus(pre),
        baseOptimizer.plus(base));
  }
}
