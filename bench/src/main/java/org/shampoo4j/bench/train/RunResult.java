package org.shampoo4j.bench.train;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.health.HealthReport;

/**
 * The outcome of training one model with one optimizer variant.
 *
 * @param variant the variant's id
 * @param description what the variant is made of
 * @param epochs one record per completed epoch
 * @param steps optimizer steps taken
 * @param trainSeconds training wall time (forward, backward and optimizer steps; evaluation
 *     excluded)
 * @param stateMemory the optimizer's state bytes at the end of training (or of the last
 *     completed epoch, for an interrupted run)
 * @param peakDeviceBytes the most device memory in use while the run trained and evaluated
 *     (see {@link DeviceMemory}); empty where the device cannot report it
 * @param failure why the run stopped early (divergence, an exception, or an interruption:
 *     {@link #INTERRUPTED} starts the text), empty if it completed
 * @param deviceState the optimizer-state bytes per device (empty where the optimizer does not
 *     report them, or a single device)
 */
public record RunResult(
    String variant,
    String description,
    List<EpochRecord> epochs,
    long steps,
    double trainSeconds,
    MemoryFootprint stateMemory,
    OptionalLong peakDeviceBytes,
    Optional<String> failure,
    List<org.shampoo4j.shampoo.memory.DeviceMemory> deviceState,
    List<HealthReport.Block> blockHealth) {
  /** How the failure text of a run stopped by the user (Ctrl-C) begins. */
  public static final String INTERRUPTED = "interrupted";

  /** Copies the epoch list. */
  public RunResult {
    Objects.requireNonNull(variant, "variant");
    Objects.requireNonNull(description, "description");
    epochs = List.copyOf(epochs);
    Objects.requireNonNull(stateMemory, "stateMemory");
    Objects.requireNonNull(peakDeviceBytes, "peakDeviceBytes");
    Objects.requireNonNull(failure, "failure");
    deviceState = List.copyOf(deviceState);
    blockHealth = List.copyOf(blockHealth);
  }

  /** A result without per-block health (an optimizer without preconditioners). */
  public RunResult(String variant, String description, List<EpochRecord> epochs, long steps,
      double trainSeconds, MemoryFootprint stateMemory, OptionalLong peakDeviceBytes,
      Optional<String> failure, List<org.shampoo4j.shampoo.memory.DeviceMemory> deviceState) {
    this(variant, description, epochs, steps, trainSeconds, stateMemory, peakDeviceBytes,
        failure, deviceState, List.of());
  }

  /** A result without a per-device state view. */
  public RunResult(String variant, String description, List<EpochRecord> epochs, long steps,
      double trainSeconds, MemoryFootprint stateMemory, OptionalLong peakDeviceBytes,
      Optional<String> failure) {
    this(variant, description, epochs, steps, trainSeconds, stateMemory, peakDeviceBytes,
        failure, List.of());
  }

  /** The most optimizer-state bytes one device holds (the whole state on one device). */
  public long maxDeviceStateBytes() {
    return deviceState.stream().mapToLong(d -> d.total().total()).max()
        .orElse(stateMemory.total());
  }

  /** The last epoch's record, if any epoch completed. */
  public Optional<EpochRecord> last() {
    return epochs.isEmpty() ? Optional.empty() : Optional.of(epochs.get(epochs.size() - 1));
  }

  /** The final mean training loss, NaN if no epoch completed. */
  public double finalTrainLoss() {
    return last().map(EpochRecord::trainLoss).orElse(Double.NaN);
  }

  /** The final test loss, NaN if no epoch completed. */
  public double finalTestLoss() {
    return last().map(EpochRecord::testLoss).orElse(Double.NaN);
  }

  /** The final test accuracy in [0, 1], NaN if no epoch completed. */
  public double finalTestAccuracy() {
    return last().map(EpochRecord::testAccuracy).orElse(Double.NaN);
  }

  /** Mean training wall time per optimizer step, in milliseconds. */
  public double millisPerStep() {
    return steps == 0 ? Double.NaN : trainSeconds * 1000.0 / steps;
  }

  /** Mean training wall time per completed epoch, in seconds (NaN before the first). */
  public double secondsPerEpoch() {
    return epochs.isEmpty() ? Double.NaN : trainSeconds / epochs.size();
  }

  /** "ok", "interrupted ..." or "failed: ..." for reports. */
  public String status() {
    return failure.map(f -> f.startsWith(INTERRUPTED) ? f : "failed: " + f).orElse("ok");
  }

  /** This result marked as stopped by the user after its last completed epoch. */
  public RunResult interrupted(int plannedEpochs) {
    return new RunResult(variant, description, epochs, steps, trainSeconds, stateMemory,
        peakDeviceBytes, Optional.of(INTERRUPTED + " after epoch " + epochs.size() + " of "
            + plannedEpochs), deviceState, blockHealth);
  }
}
