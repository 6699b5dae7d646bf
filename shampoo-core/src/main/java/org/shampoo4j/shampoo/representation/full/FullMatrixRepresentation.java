package org.shampoo4j.shampoo.representation.full;

import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * The 32-bit baseline: the statistic and its inverse root kept as dense fp32 n×n matrices on the
 * device (2·n² floats per statistic). Stateless factory.
 */
public final class FullMatrixRepresentation implements PreconditionerRepresentation {
  /** The representation's report name. */
  public static final String NAME = "full-fp32";

  /** A factory of fp32 preconditioners. */
  public FullMatrixRepresentation() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Preconditioner create(int order, PreconditionerContext context) {
    if (order < 1) {
      throw new IllegalArgumentException(
          context.label() + ": statistic order must be >= 1, got " + order);
    }
    return new FullMatrixPreconditioner(order, context);
  }

  @Override
  public String toString() {
    return NAME;
  }
}
