package org.shampoo4j.shampoo.base;

/**
 * What a step does when a parameter's gradient holds NaN or an infinity, or values so large that
 * their squares overflow float32 ({@link GradientPreprocessor#overflowBound}).
 *
 * <p>Cost and guarantee at a glance (a "read" waits until the device has finished every queued
 * operation, so on a GPU it is what the count of reads per step is about):
 *
 * <table>
 *   <caption>non-finite policies</caption>
 *   <tr><th>policy</th><th>device-to-host reads per step</th><th>bad gradient</th></tr>
 *   <tr><td>{@link #GUARDED} (default)</td><td>one for the whole model (per device), at the
 *       start of the next step; plus one per preconditioned parameter at Shampoo's T1/T2 steps
 *       </td><td>changes no weight or state; throws one step later naming every bad
 *       parameter</td></tr>
 *   <tr><td>{@link #THROW}</td><td>one per parameter</td><td>changes nothing; throws at once,
 *       naming the parameter</td></tr>
 *   <tr><td>{@link #SKIP}</td><td>one per parameter</td><td>that parameter's update is skipped
 *       and counted</td></tr>
 *   <tr><td>{@link #DEFERRED_THROW}</td><td>one for the whole model (per device)</td><td>enters
 *       the weights and base state; throws one step later</td></tr>
 *   <tr><td>{@link #UNCHECKED}</td><td>none</td><td>enters the weights and base state
 *       silently</td></tr>
 * </table>
 *
 * <p>The policy does not change what a step with good gradients computes (bit for bit), so it is
 * not part of a checkpoint's configuration fingerprint.
 */
public enum NonFinitePolicy {
  /**
   * The default: {@link #THROW}'s guarantee at one read per step. Each parameter's check (its
   * max |g| against the bound, a boolean flag) stays on the device, and every write of that
   * parameter's update, to its weight and to each optimizer state array, is selected on the device
   * by the flag ({@link UpdateGate}), so with a bad gradient every stored bit stays as it was. The
   * checks of a step are read together, one transfer per device, when the next step begins (the
   * first parameter updated again), or on {@code checkGradients()} and before {@code saveState}.
   * If any was bad, the host-side bookkeeping of those parameters' updates (step counts, state
   * created by the update) is rolled back and an {@link IllegalStateException} names every bad
   * parameter of the step. Shampoo's statistics and roots are refreshed only at T1/T2 steps, and
   * those steps read the parameter's flag before refreshing (one read per preconditioned
   * parameter and refresh). Parameters with good gradients in the same step keep their update.
   * The exception comes from the next step's first update (which then updates nothing) or from
   * {@code checkGradients()}: call it after a run's last step to hear about that step. Costs a
   * few extra element-wise device operations per parameter (the check and the selections).
   */
  GUARDED,
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
