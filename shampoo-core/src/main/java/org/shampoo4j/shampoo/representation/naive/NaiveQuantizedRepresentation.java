package org.shampoo4j.shampoo.representation.naive;

import java.util.Objects;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * "Naive" 4-bit Shampoo, the weak baseline of Wang et al. (SPEC §3): the statistic S and its
 * inverse root are each stored as a block-wise quantized matrix with an fp32 diagonal and
 * quantized off-diagonal elements; every update dequantizes, computes in fp32 and requantizes.
 *
 * <p>Its weakness is the point of the comparison: quantizing S itself perturbs the small
 * eigenvalues, which {@code S^(−1/p)} amplifies on ill-conditioned statistics. Immutable; one
 * instance makes the preconditioners of every parameter.
 */
public final class NaiveQuantizedRepresentation implements PreconditionerRepresentation {
  /** The name in reports. */
  public static final String NAME = "naive-4bit";

  private final QuantizationMap map;

  /**
   * A representation quantizing with the given map (bits, block size and minimum size come from
   * each preconditioner's context).
   *
   * @param map the codebook rule, for example Linear-2 or dynamic tree
   */
  public NaiveQuantizedRepresentation(QuantizationMap map) {
    this.map = Objects.requireNonNull(map, "map");
  }

  /** The quantization map of the stored matrices. */
  public QuantizationMap map() {
    return map;
  }

  /** {@value #NAME}. */
  @Override
  public String name() {
    return NAME;
  }

  /** A preconditioner with {@code S = eps·I} and inverse root {@code I}, both stored quantized. */
  @Override
  public Preconditioner create(int order, PreconditionerContext context) {
    Objects.requireNonNull(context, "context");
    if (order <= 0) {
      throw new IllegalArgumentException(
          "order of " + context.label() + " must be positive, got " + order);
    }
    return new NaiveQuantizedPreconditioner(order, context, context.quantizer(map));
  }

  @Override
  public String toString() {
    return NAME + "[" + map.name() + "]";
  }
}
