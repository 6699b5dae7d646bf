package org.shampoo4j.shampoo.base;

/**
 * What a step does when a parameter's gradient holds NaN or an infinity, or values so large that
 * their squares overflow float32 ({@link GradientPreprocessor#overflowBound}).
 */
public enum NonFinitePolicy {
  /**
   * Throw an {@link IllegalStateException} naming the parameter and the first offending element.
   * Costs one device-to-host read of a scalar (max |g|) per parameter and step.
   */
  THROW,
  /**
   * Leave that parameter (its weight and all its optimizer state) untouched for this step and
   * count the skip. Costs the same one scalar read per parameter and step.
   */
  SKIP,
  /**
   * Do not check: no host synchronisation at all, and a non-finite gradient propagates into the
   * weights and the base optimizer's state. Shampoo's preconditioners still never store a
   * non-finite statistic or root: such an update is rejected and counted (the check runs only at
   * T1/T2 steps). For runs where the per-step check's synchronisation is measurably too costly.
   */
  UNCHECKED,
  /**
   * Check on the device without waiting for it: each parameter's max |g| stays on the device and
   * all of a step's checks are read together (one transfer per device) when the next step begins,
   * or on request ({@code ShampooOptimizer.checkGradients()}). A bad gradient then throws an
   * {@link IllegalStateException} naming every offending parameter, one step late: by then its
   * values have entered that parameter's weights and base-optimizer state (Shampoo's
   * preconditioners still reject a non-finite statistic, as under {@link #UNCHECKED}). For GPU runs
   * where one synchronisation per parameter costs too much but a run should still stop loudly.
   */
  DEFERRED_THROW
}
