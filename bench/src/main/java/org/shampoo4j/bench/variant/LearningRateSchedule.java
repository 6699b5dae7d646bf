package org.shampoo4j.bench.variant;

import ai.djl.training.tracker.Tracker;
import java.util.Locale;

/**
 * How the learning rate moves over a run: constant, or a linear warm-up from 0 followed by a
 * half-cosine decay to 0 at the last step (Goyal et al. 2017 warm-up, Loshchilov and Hutter 2017
 * cosine; the 4-bit Shampoo paper's CIFAR runs use cosine decay). Immutable.
 */
public final class LearningRateSchedule {
  private final boolean cosine;
  private final int warmupSteps;
  private final int totalSteps;

  private LearningRateSchedule(boolean cosine, int warmupSteps, int totalSteps) {
    this.cosine = cosine;
    this.warmupSteps = warmupSteps;
    this.totalSteps = totalSteps;
  }

  /** The same learning rate at every step. */
  public static LearningRateSchedule constant() {
    return new LearningRateSchedule(false, 0, 0);
  }

  /**
   * Linear warm-up over {@code warmupSteps} steps (step 1 gets {@code base/warmupSteps}, step
   * {@code warmupSteps} the full rate), then cosine decay that reaches 0 at step {@code
   * totalSteps}.
   *
   * @throws IllegalArgumentException unless {@code 0 <= warmupSteps < totalSteps}
   */
  public static LearningRateSchedule warmupCosine(int warmupSteps, int totalSteps) {
    if (warmupSteps < 0 || totalSteps < 1 || warmupSteps >= totalSteps) {
      throw new IllegalArgumentException("warm-up must be shorter than the run: " + warmupSteps
          + " warm-up steps of " + totalSteps);
    }
    return new LearningRateSchedule(true, warmupSteps, totalSteps);
  }

  /** Whether the rate decays by a cosine (else it is constant). */
  public boolean isCosine() {
    return cosine;
  }

  /** Warm-up steps (0 for none). */
  public int warmupSteps() {
    return warmupSteps;
  }

  /**
   * The learning rate at 1-based step {@code step} for peak rate {@code base}. Steps past the
   * end keep the final rate 0.
   */
  public float rate(float base, int step) {
    if (!cosine) {
      return base;
    }
    if (step <= warmupSteps) {
      return base * Math.max(step, 1) / warmupSteps;
    }
    int decaySteps = totalSteps - warmupSteps;
    double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
    return (float) (base * 0.5 * (1 + Math.cos(Math.PI * progress)));
  }

  /** A DJL tracker of this schedule with peak rate {@code base} (DJL counts steps from 1). */
  public Tracker tracker(float base) {
    return step -> rate(base, step);
  }

  @Override
  public String toString() {
    return cosine
        ? String.format(Locale.ROOT, "warm-up %d steps + cosine to 0 at step %d", warmupSteps,
            totalSteps)
        : "constant";
  }
}
