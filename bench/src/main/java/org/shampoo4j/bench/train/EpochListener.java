package org.shampoo4j.bench.train;

/**
 * Hears about each completed epoch of a run, for progress lines and for saving what finished when
 * the run is interrupted.
 */
@FunctionalInterface
public interface EpochListener {
  /** A listener that does nothing. */
  EpochListener NONE = (soFar, planned) -> { };

  /**
   * Called after each completed epoch (training and evaluation).
   *
   * @param soFar the run up to this epoch, with the state memory and peak device memory so far;
   *     its failure is empty
   * @param plannedEpochs the epochs the run will take if nothing stops it
   */
  void epochFinished(RunResult soFar, int plannedEpochs);
}
