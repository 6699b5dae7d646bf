package org.shampoo4j.shampoo.representation;

import java.util.Objects;

/**
 * A {@link Preconditioner} could not compute a usable new state (a solver failed, or the result
 * holds NaN or an infinity) and kept its previous one. The optimizer counts it per block and gives
 * up only after several in a row ({@code ShampooConfig.maxConsecutiveFailures}).
 */
public final class RejectedUpdateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Which part of the state was not replaced. */
  public enum Kind {
    /** The statistic update (every T1 steps). */
    STATISTIC,
    /** The inverse-root refresh (every T2 steps). */
    ROOT
  }

  private final Kind kind;
  private final String label;

  /**
   * @param kind what was not replaced
   * @param label the statistic's label ({@link PreconditionerContext#label()})
   * @param reason why, for example {@code "the new statistic holds NaN or an infinity"}
   * @param cause the solver's exception, or null
   */
  public RejectedUpdateException(Kind kind, String label, String reason, Throwable cause) {
    super(label + ": " + (kind == Kind.STATISTIC ? "statistic update" : "inverse-root refresh")
        + " rejected, previous state kept: " + reason, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.label = Objects.requireNonNull(label, "label");
  }

  /** What was not replaced. */
  public Kind kind() {
    return kind;
  }

  /** The statistic's label. */
  public String label() {
    return label;
  }
}
