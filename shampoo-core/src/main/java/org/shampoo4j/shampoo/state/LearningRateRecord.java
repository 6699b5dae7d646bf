package org.shampoo4j.shampoo.state;

import ai.djl.training.tracker.ParameterTracker;
import java.util.Map;

/**
 * The learning-rate tracker's part of a parameter's checkpoint state. A DJL tracker is a function
 * of the parameter's update count (the stateful ones, such as {@code MultiFactorTracker}, only
 * cache a position that catches up with it), and the optimizers store that count; what the
 * checkpoint lacked was the tracker itself, so a run resumed with another schedule, or the same
 * schedule over another length, went on silently with other rates. The tracker's rate at the
 * saved step and at the next one (the first step after a resume) are now stored as float bits,
 * and a load asks its own tracker for the same two rates and refuses any difference: a resume
 * whose next rate is not exactly the uninterrupted run's does not start.
 *
 * <p>Entries (counters, under the section {@value #SECTION}): {@code lr.rate} and {@code
 * lr.next}. Checkpoints written before they existed load without the check.
 */
public final class LearningRateRecord {
  /** The section holding the entries; a reader marks it used. */
  public static final String SECTION = "lr";
  private static final String RATE = SECTION + ".rate";
  private static final String NEXT = SECTION + ".next";

  private LearningRateRecord() {}

  /**
   * Adds the tracker's rates at {@code step} and {@code step + 1}. Calls the tracker at those
   * steps, which the training calls next anyway, so a tracker that caches its position is not
   * moved past where training goes.
   */
  public static void write(StateSnapshot.Builder b, ParameterTracker tracker, String parameterId,
      int step) {
    b.counter(RATE, Float.floatToIntBits(tracker.getNewValue(parameterId, step)));
    b.counter(NEXT, Float.floatToIntBits(tracker.getNewValue(parameterId, step + 1)));
  }

  /**
   * Checks that {@code tracker} gives the recorded rates at the recorded step ({@code stepEntry}
   * names the step counter) and the next; does nothing for a state without the entries.
   *
   * @throws IllegalArgumentException naming both rates and the step if they differ
   */
  public static void check(StateSnapshot state, String stepEntry, ParameterTracker tracker,
      String parameterId) {
    Map<String, Long> counters = state.counters();
    Long step = counters.get(stepEntry);
    if (step == null || !counters.containsKey(RATE) || !counters.containsKey(NEXT)) {
      return;
    }
    compare(counters.get(RATE), tracker, parameterId, Math.toIntExact(step));
    compare(counters.get(NEXT), tracker, parameterId, Math.toIntExact(step + 1));
  }

  private static void compare(long stored, ParameterTracker tracker, String parameterId,
      int step) {
    float expected = Float.intBitsToFloat((int) stored);
    float actual = tracker.getNewValue(parameterId, step);
    if (stored != (long) Float.floatToIntBits(actual) || stored != (int) stored) {
      throw new IllegalArgumentException("the learning-rate tracker gives " + actual
          + " at step " + step + ", the checkpoint's run used " + expected + ": resume with "
          + "the tracker (schedule and its length) the checkpoint was written with");
    }
  }
}
