package org.shampoo4j.shampoo.representation;

/**
 * How one Shampoo statistic (L or R of one block) and its inverse root are stored and refreshed:
 * the pluggable part of the optimizer. Implementations are immutable factories, bound by a Guice
 * module each ({@code FullMatrixModule}, {@code NaiveQuantizedModule}, {@code EigenBjorckModule},
 * {@code CholeskyEfModule}), so swapping the module swaps the representation.
 */
public interface PreconditionerRepresentation {
  /** A short stable name for reports, for example {@code full-fp32} or {@code eigen-bjorck}. */
  String name();

  /**
   * The settings that determine what the stored state means (map, Björck steps, Cholesky options
   * and so on), for a checkpoint's configuration fingerprint; by default {@link Object#toString()}.
   */
  default String configuration() {
    return toString();
  }

  /**
   * A fresh preconditioner for a statistic of the given order: the statistic starts at
   * {@code eps·I} and the inverse root at {@code I}.
   *
   * @param order the statistic's order n (it is n×n)
   * @param context hyper-parameters, math routines and the manager that owns the state
   */
  Preconditioner create(int order, PreconditionerContext context);
}
