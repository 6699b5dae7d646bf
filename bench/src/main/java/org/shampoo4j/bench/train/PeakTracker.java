package org.shampoo4j.bench.train;

import java.util.OptionalLong;

/** The largest of the values a {@link DeviceMemoryProbe} probe returned while it was sampled. */
final class PeakTracker {
  private final DeviceMemoryProbe probe;
  private long peak = -1;

  PeakTracker(DeviceMemoryProbe probe) {
    this.probe = probe;
  }

  /** Reads the probe once and keeps the maximum. */
  void sample() {
    OptionalLong used = probe.usedBytes();
    if (used.isPresent() && used.getAsLong() > peak) {
      peak = used.getAsLong();
    }
  }

  /** Takes a peak seen earlier (by the run a checkpoint resumes) into account. */
  void include(OptionalLong earlier) {
    if (earlier.isPresent() && earlier.getAsLong() > peak) {
      peak = earlier.getAsLong();
    }
  }

  /** The peak so far, empty if the probe never answered. */
  OptionalLong peak() {
    return peak < 0 ? OptionalLong.empty() : OptionalLong.of(peak);
  }
}
