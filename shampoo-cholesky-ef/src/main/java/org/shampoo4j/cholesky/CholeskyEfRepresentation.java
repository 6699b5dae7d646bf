package org.shampoo4j.cholesky;

import com.google.inject.Inject;
import java.util.Objects;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * Shampoo statistics held as quantized Cholesky factors, with or without error feedback (docs/algorithms.md §4,
 * §6); see {@link CholeskyEfPreconditioner} for the recursion. Immutable factory, bound by {@link
 * CholeskyEfModule}.
 */
public final class CholeskyEfRepresentation implements PreconditionerRepresentation {
  /** Name with error feedback. */
  public static final String NAME_WITH_ERROR_FEEDBACK = "cholesky-ef";

  /** Name without error feedback. */
  public static final String NAME_WITHOUT_ERROR_FEEDBACK = "cholesky";

  private final QuantizationMap map;
  private final CholeskyEfConfig config;

  /**
   * A representation.
   *
   * @param map the quantization map of the codes (Linear-2 in the paper's setting)
   * @param config the Cholesky settings
   */
  @Inject
  public CholeskyEfRepresentation(QuantizationMap map, CholeskyEfConfig config) {
    this.map = Objects.requireNonNull(map, "map");
    this.config = Objects.requireNonNull(config, "config");
  }

  /** {@value #NAME_WITH_ERROR_FEEDBACK} or {@value #NAME_WITHOUT_ERROR_FEEDBACK}. */
  @Override
  public String name() {
    return config.errorFeedback() ? NAME_WITH_ERROR_FEEDBACK : NAME_WITHOUT_ERROR_FEEDBACK;
  }

  /** The quantization map of the codes. */
  public QuantizationMap map() {
    return map;
  }

  /** The Cholesky settings. */
  public CholeskyEfConfig config() {
    return config;
  }

  /** A fresh {@link CholeskyEfPreconditioner}: factor {@code √eps·I}, E = 0, root I. */
  @Override
  public Preconditioner create(int order, PreconditionerContext context) {
    return new CholeskyEfPreconditioner(order, context, map, config);
  }

  @Override
  public String toString() {
    return "CholeskyEfRepresentation[" + name() + ", map=" + map.name() + ", " + config + "]";
  }
}
