package org.shampoo4j.shampoo.distributed;

import java.util.Objects;

/**
 * Every replica keeps its own full optimizer state, keyed by its device, and updates itself from
 * DJL's summed gradient (see {@link Distribution}). On one device this is plain Shampoo.
 *
 * @param replicas the number of devices DJL trains on; only {@link GradientReduction#MEAN} uses it
 * @param reduction what to do with DJL's summed gradient
 */
public record Replicated(int replicas, GradientReduction reduction) implements Distribution {
  /** Checks the fields. */
  public Replicated {
    Objects.requireNonNull(reduction, "reduction");
    if (replicas < 1) {
      throw new IllegalArgumentException("replica count must be positive, got " + replicas);
    }
  }

  @Override
  public String name() {
    return "replicated";
  }
}
