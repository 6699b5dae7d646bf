package org.shampoo4j.bench.report;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.shampoo4j.bench.train.RunResult;

/**
 * Ratios of one run's costs to two reference runs of the same invocation: 32-bit Shampoo
 * ({@value #SHAMPOO32}) and the base optimizer Shampoo grafts onto ({@code sgd} or {@code
 * adamw}), as in the 4-bit Shampoo paper's tables. A ratio is NaN where the reference did not run
 * or has no such number (for example peak device memory on the CPU).
 */
public final class Comparison {
  /** The id of 32-bit Shampoo. */
  public static final String SHAMPOO32 = "shampoo32";

  private final Optional<RunResult> shampoo32;
  private final Optional<RunResult> base;
  private final String baseId;

  /**
   * Finds the references among {@code results}.
   *
   * @param baseId the id of the base optimizer's own run, {@code sgd} or {@code adamw}
   */
  public Comparison(List<RunResult> results, String baseId) {
    this.baseId = Objects.requireNonNull(baseId, "baseId");
    this.shampoo32 = find(results, SHAMPOO32);
    this.base = find(results, baseId);
  }

  /** The base optimizer's id. */
  public String baseId() {
    return baseId;
  }

  /** Optimizer-state bytes relative to 32-bit Shampoo's. */
  public double stateVsShampoo32(RunResult r) {
    return ratio(r, shampoo32, x -> x.stateMemory().total());
  }

  /** Optimizer-state bytes relative to the base optimizer's. */
  public double stateVsBase(RunResult r) {
    return ratio(r, base, x -> x.stateMemory().total());
  }

  /** Peak device memory relative to 32-bit Shampoo's. */
  public double peakVsShampoo32(RunResult r) {
    return ratio(r, shampoo32, Comparison::peak);
  }

  /** Peak device memory relative to the base optimizer's. */
  public double peakVsBase(RunResult r) {
    return ratio(r, base, Comparison::peak);
  }

  /** Training seconds per epoch relative to 32-bit Shampoo's. */
  public double timeVsShampoo32(RunResult r) {
    return ratio(r, shampoo32, RunResult::secondsPerEpoch);
  }

  /** Training seconds per epoch relative to the base optimizer's. */
  public double timeVsBase(RunResult r) {
    return ratio(r, base, RunResult::secondsPerEpoch);
  }

  /** Final test accuracy minus 32-bit Shampoo's, in percentage points. */
  public double accuracyPointsVsShampoo32(RunResult r) {
    return shampoo32.map(s -> 100 * (r.finalTestAccuracy() - s.finalTestAccuracy()))
        .orElse(Double.NaN);
  }

  private static double peak(RunResult r) {
    return r.peakDeviceBytes().isPresent() ? r.peakDeviceBytes().getAsLong() : Double.NaN;
  }

  private static double ratio(RunResult r, Optional<RunResult> reference,
      ToDoubleFunction<RunResult> value) {
    if (reference.isEmpty()) {
      return Double.NaN;
    }
    double ref = value.applyAsDouble(reference.get());
    double v = value.applyAsDouble(r);
    return ref > 0 && Double.isFinite(ref) && Double.isFinite(v) ? v / ref : Double.NaN;
  }

  private static Optional<RunResult> find(List<RunResult> results, String id) {
    return results.stream().filter(r -> r.variant().equals(id)).findFirst();
  }
}
