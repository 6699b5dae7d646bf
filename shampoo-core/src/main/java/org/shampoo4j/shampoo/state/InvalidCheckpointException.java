package org.shampoo4j.shampoo.state;

import java.io.IOException;

/**
 * A checkpoint that cannot be loaded: truncated, corrupted, of another format version, written by
 * another configuration, or holding other parameters than the model. The message says what and
 * where. When a load throws it, the optimizer's state is unchanged.
 */
public final class InvalidCheckpointException extends IOException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message saying what is wrong and where. */
  public InvalidCheckpointException(String message) {
    super(message);
  }

  /** An exception with a message and the cause. */
  public InvalidCheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
