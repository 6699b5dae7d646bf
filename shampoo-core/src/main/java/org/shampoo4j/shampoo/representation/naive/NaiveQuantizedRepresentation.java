package org.shampoo4j.shampoo.representation.naive;

import java.util.Objects;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * "Naive" 4-bit Shampoo, the weak baseline of Wang et al. (docs/algorithms.md §3): the statistic S and its
 * inverse root are each stored as a block-wise quantized matrix with an fp32 diagonal and
 * quantized off-diagonal elements; every update dequantizes, computes in fp32 and requantizes.
 *
 * <p>Its weakness is the point of the comparison: quantizing S itself perturbs the small
 * eigenvalues, which {@code S^(−1/p)} amplifies on ill-conditioned statistics. How the root of
 * the dequantized statistic is taken is a {@link NaiveRoot} choice: ours (symmetrised, the
 * optimizer's root method) by default, or the official code's Schur–Newton. Immutable; one
 * instance makes the preconditioners of every parameter.
 */
public final class NaiveQuantizedRepresentation implements PreconditionerRepresentation {
  /** The name in reports (with {@link NaiveRoot#SYMMETRIZED}). */
  public static final String NAME = "naive-4bit";
  /** The name in reports with {@link NaiveRoot#OFFICIAL_SCHUR_NEWTON}. */
  public static final String OFFICIAL_ROOT_NAME = "naive-4bit-official-root";

  private final QuantizationMap map;
  private final NaiveRoot root;

  /**
   * A representation quantizing with the given map (bits, block size and minimum size come from
   * each preconditioner's context), with the default {@link NaiveRoot#SYMMETRIZED} root.
   *
   * @param map the codebook rule, for example Linear-2 or dynamic tree
   */
  public NaiveQuantizedRepresentation(QuantizationMap map) {
    this(map, NaiveRoot.SYMMETRIZED);
  }

  /**
   * A representation quantizing with the given map and taking roots the given way.
   *
   * @param map the codebook rule, for example Linear-2 or dynamic tree
   * @param root how the root of the dequantized statistic is computed
   */
  public NaiveQuantizedRepresentation(QuantizationMap map, NaiveRoot root) {
    this.map = Objects.requireNonNull(map, "map");
    this.root = Objects.requireNonNull(root, "root");
  }

  /** How the root of the dequantized statistic is computed. */
  public NaiveRoot root() {
    return root;
  }

  /** The quantization map of the stored matrices. */
  public QuantizationMap map() {
    return map;
  }

  /** {@value #NAME}, or {@value #OFFICIAL_ROOT_NAME} with the official root. */
  @Override
  public String name() {
    return root == NaiveRoot.SYMMETRIZED ? NAME : OFFICIAL_ROOT_NAME;
  }

  /** A preconditioner with {@code S = eps·I} and inverse root {@code I}, both stored quantized. */
  @Override
  public Preconditioner create(int order, PreconditionerContext context) {
    Objects.requireNonNull(context, "context");
    if (order <= 0) {
      throw new IllegalArgumentException(
          "order of " + context.label() + " must be positive, got " + order);
    }
    return new NaiveQuantizedPreconditioner(order, context, context.quantizer(map), root);
  }

  @Override
  public String toString() {
    return name() + "[" + map.name() + "]";
  }
}
