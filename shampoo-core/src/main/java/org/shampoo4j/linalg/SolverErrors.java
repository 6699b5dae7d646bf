package org.shampoo4j.linalg;

/**
 * Messages of solver failures fit for one log line. libtorch reports a failed TorchScript call
 * with both tracebacks over some twenty lines and the actual error ({@code RuntimeError:
 * linalg.eigh: The algorithm failed to converge ...}) last.
 */
public final class SolverErrors {
  private SolverErrors() {}

  /** The last non-blank line of the message (the whole message if it is one line). */
  public static String oneLine(Throwable failure) {
    String message = failure.getMessage();
    if (message == null || message.isBlank()) {
      return failure.getClass().getSimpleName();
    }
    String[] lines = message.strip().split("\\R");
    return lines[lines.length - 1].strip();
  }
}
