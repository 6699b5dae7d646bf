package org.shampoo4j.shampoo.health;

import java.util.Objects;

/**
 * One block of a parameter failed to update its preconditioner too many times in a row: Shampoo
 * stops rather than train on with statistics or roots that no longer follow the gradients. The
 * previous (finite) state of every preconditioner is intact.
 */
public final class PreconditionerFailureException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final String parameterId;
  private final int block;
  private final int consecutiveFailures;

  /**
   * @param parameterId the parameter's state key
   * @param block the block index within the parameter
   * @param consecutiveFailures failed update events in a row
   * @param cause the last failure
   */
  public PreconditionerFailureException(
      String parameterId, int block, int consecutiveFailures, Throwable cause) {
    super("Shampoo gives up on parameter '" + parameterId + "', block " + block + ": "
        + consecutiveFailures + " preconditioner updates in a row failed; last: "
        + Objects.requireNonNull(cause, "cause").getMessage(), cause);
    this.parameterId = parameterId;
    this.block = block;
    this.consecutiveFailures = consecutiveFailures;
  }

  /** The parameter's state key. */
  public String parameterId() {
    return parameterId;
  }

  /** The block index within the parameter. */
  public int block() {
    return block;
  }

  /** Failed update events in a row. */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }
}
