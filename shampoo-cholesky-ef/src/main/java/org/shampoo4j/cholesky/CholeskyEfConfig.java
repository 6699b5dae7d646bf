package org.shampoo4j.cholesky;

import java.util.Objects;

/**
 * Settings of the Cholesky-factor representation (docs/algorithms.md §6). Immutable; build with {@link
 * #builder()}. The statistic's own hyper-parameters (β, eps, root, bits, block size) come from the
 * optimizer's {@link org.shampoo4j.shampoo.representation.PreconditionerContext}; this class holds
 * only what is specific to the Cholesky recursion.
 */
public final class CholeskyEfConfig {
  /** Default EMA factor of the error state: 0, classic error feedback (docs/algorithms.md §6 choice). */
  public static final float DEFAULT_BETA_E = 0f;

  /** Default number of retries with a larger ridge after a failed Cholesky factorisation. */
  public static final int DEFAULT_MAX_RETRIES = 3;

  /** Default factor by which the ridge grows on each retry. */
  public static final float DEFAULT_RIDGE_GROWTH = 10f;

  /** Upper bound on retries: each multiplies the ridge, so more would only hide a broken input. */
  public static final int MAX_RETRIES_LIMIT = 20;

  private final boolean errorFeedback;
  private final float betaE;
  private final int maxRetries;
  private final float ridgeGrowth;
  private final boolean rootAsCholesky;

  private CholeskyEfConfig(Builder b) {
    this.errorFeedback = b.errorFeedback;
    this.betaE = b.betaE;
    this.maxRetries = b.maxRetries;
    this.ridgeGrowth = b.ridgeGrowth;
    this.rootAsCholesky = b.rootAsCholesky;
  }

  /** A builder with the defaults: error feedback on, βe = 0, 3 retries, ridge ×10, §3 root. */
  public static Builder builder() {
    return new Builder();
  }

  /** The configuration with every default. */
  public static CholeskyEfConfig defaults() {
    return builder().build();
  }

  /** Whether quantization error is fed back into the next quantization (the error state E). */
  public boolean errorFeedback() {
    return errorFeedback;
  }

  /** EMA factor βe of the error state: {@code E ← βe·E + (1−βe)·residual}. */
  public float betaE() {
    return betaE;
  }

  /** Retries with the ridge multiplied by {@link #ridgeGrowth()} after a failed factorisation. */
  public int maxRetries() {
    return maxRetries;
  }

  /** Factor by which the ridge grows on each retry. */
  public float ridgeGrowth() {
    return ridgeGrowth;
  }

  /**
   * Whether the inverse root is stored as its own 4-bit Cholesky factor (PSD by construction, one
   * more matmul per read) instead of 4-bit off-diagonal with an fp32 diagonal (docs/algorithms.md §3).
   */
  public boolean rootAsCholesky() {
    return rootAsCholesky;
  }

  /** A builder initialised from this configuration. */
  public Builder toBuilder() {
    return builder()
        .errorFeedback(errorFeedback)
        .betaE(betaE)
        .maxRetries(maxRetries)
        .ridgeGrowth(ridgeGrowth)
        .rootAsCholesky(rootAsCholesky);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CholeskyEfConfig c
        && errorFeedback == c.errorFeedback
        && Float.compare(betaE, c.betaE) == 0
        && maxRetries == c.maxRetries
        && Float.compare(ridgeGrowth, c.ridgeGrowth) == 0
        && rootAsCholesky == c.rootAsCholesky;
  }

  @Override
  public int hashCode() {
    return Objects.hash(errorFeedback, betaE, maxRetries, ridgeGrowth, rootAsCholesky);
  }

  @Override
  public String toString() {
    return "CholeskyEfConfig[errorFeedback=" + errorFeedback + ", betaE=" + betaE
        + ", maxRetries=" + maxRetries + ", ridgeGrowth=" + ridgeGrowth
        + ", rootAsCholesky=" + rootAsCholesky + "]";
  }

  /** Builder of {@link CholeskyEfConfig}; every setter validates its argument at once. */
  public static final class Builder {
    private boolean errorFeedback = true;
    private float betaE = DEFAULT_BETA_E;
    private int maxRetries = DEFAULT_MAX_RETRIES;
    private float ridgeGrowth = DEFAULT_RIDGE_GROWTH;
    private boolean rootAsCholesky = false;

    private Builder() {}

    /** Turns error feedback on (default) or off. */
    public Builder errorFeedback(boolean errorFeedback) {
      this.errorFeedback = errorFeedback;
      return this;
    }

    /**
     * EMA factor of the error state, in [0, 1): 0 adds the last residual only (classic error
     * feedback); values near 1 keep old residuals, which docs/algorithms.md §6 measured to hurt.
     */
    public Builder betaE(float betaE) {
      if (!(betaE >= 0f && betaE < 1f)) {
        throw new IllegalArgumentException(
            "betaE must be in [0, 1) (at 1 the error state would never take a new residual), got "
                + betaE);
      }
      this.betaE = betaE;
      return this;
    }

    /** Retries after a failed factorisation, in [0, {@link CholeskyEfConfig#MAX_RETRIES_LIMIT}]. */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0 || maxRetries > MAX_RETRIES_LIMIT) {
        throw new IllegalArgumentException(
            "maxRetries must be in [0, " + MAX_RETRIES_LIMIT + "] (each retry multiplies the"
                + " ridge, so more would only hide a broken statistic), got " + maxRetries);
      }
      this.maxRetries = maxRetries;
      return this;
    }

    /** Ridge growth per retry, finite and greater than 1 (otherwise a retry changes nothing). */
    public Builder ridgeGrowth(float ridgeGrowth) {
      if (!(ridgeGrowth > 1f) || !Float.isFinite(ridgeGrowth)) {
        throw new IllegalArgumentException(
            "ridgeGrowth must be finite and > 1 (a retry must enlarge the ridge), got "
                + ridgeGrowth);
      }
      this.ridgeGrowth = ridgeGrowth;
      return this;
    }

    /** Stores the inverse root as its own quantized Cholesky factor instead of docs/algorithms.md §3's form. */
    public Builder rootAsCholesky(boolean rootAsCholesky) {
      this.rootAsCholesky = rootAsCholesky;
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @throws IllegalStateException if βe is set while error feedback is off (it would be silently
     *     ignored)
     */
    public CholeskyEfConfig build() {
      if (!errorFeedback && betaE != 0f) {
        throw new IllegalStateException(
            "betaE = " + betaE + " has no effect with error feedback off; leave it at 0");
      }
      return new CholeskyEfConfig(this);
    }
  }
}
