package org.shampoo4j.linalg;

/** A matrix that had to be positive definite was not, numerically. */
public class NotPositiveDefiniteException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message saying which matrix and why. */
  public NotPositiveDefiniteException(String message) {
    super(message);
  }
}
