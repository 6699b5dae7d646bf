package org.shampoo4j.shampoo.distributed;

/**
 * How the gradient that DJL's multi-device training hands the optimizer relates to the global
 * batch. DJL's {@code LocalParameterServer} <b>sums</b> the replicas' gradients, and each replica's
 * loss is already a mean over its share of the batch, so on N devices the summed gradient is N
 * times the gradient of the global batch's mean loss (exactly N times when the shares are equal).
 */
public enum GradientReduction {
  /**
   * Use DJL's sum as it is: what DJL's own optimizers do; the effective learning rate grows with
   * the device count.
   */
  SUM,
  /**
   * Divide DJL's sum by the replica count: the step equals a single device's step on the same
   * global batch (up to fp32 round-off, and exactly in the batch mean when the shares are equal),
   * so changing the device count keeps the learning rate's meaning.
   */
  MEAN;

  /**
   * The factor applied to DJL's summed gradient.
   *
   * @param replicas the number of replicas that contributed to the sum, positive
   * @throws IllegalArgumentException if {@code replicas < 1}
   */
  public float scale(int replicas) {
    if (replicas < 1) {
      throw new IllegalArgumentException("replica count must be positive, got " + replicas);
    }
    return this == SUM ? 1f : 1f / replicas;
  }
}
