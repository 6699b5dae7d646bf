package org.shampoo4j.shampoo.representation.eigen;

import java.util.Objects;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * 4-bit Shampoo by eigenvector quantization with Björck orthonormalization (Wang et al., NeurIPS
 * 2024; docs/algorithms.md §3). Per statistic it stores the eigenvector matrix {@code V̄} (rows are
 * eigenvectors) quantized in dense blocks along rows, the eigenvalues λ in fp32 and the inverse
 * root {@code L̂} quantized off the diagonal with an fp32 diagonal.
 *
 * <p>Quantizing the eigenvectors instead of the statistic keeps {@code S^(−1/p)} accurate on
 * ill-conditioned statistics (docs/algorithms.md §3, Lemma 1 / Proposition 1): an error in an orthogonal factor
 * moves {@code UΛ^sUᵀ} by a bounded relative amount whatever the conditioning, and Björck steps
 * {@code V ← 1.5·V − 0.5·V·Vᵀ·V} pull the dequantized factor back towards orthogonality.
 *
 * <p>Immutable; built with {@link #builder(QuantizationMap)}.
 */
public final class EigenBjorckRepresentation implements PreconditionerRepresentation {
  /** The name in reports. */
  public static final String NAME = "eigen-bjorck";

  /** Björck steps applied to the dequantized eigenvectors before each statistic update. */
  public static final int DEFAULT_STATISTIC_BJORCK_STEPS = 1;

  /** Björck steps applied to the dequantized eigenvectors before each inverse-root refresh. */
  public static final int DEFAULT_ROOT_BJORCK_STEPS = 4;

  private final QuantizationMap map;
  private final int statisticBjorckSteps;
  private final int rootBjorckSteps;

  private EigenBjorckRepresentation(Builder b) {
    this.map = b.map;
    this.statisticBjorckSteps = b.statisticBjorckSteps;
    this.rootBjorckSteps = b.rootBjorckSteps;
  }

  /**
   * A builder with the paper's defaults t1 = {@value #DEFAULT_STATISTIC_BJORCK_STEPS}, t2 =
   * {@value #DEFAULT_ROOT_BJORCK_STEPS}.
   *
   * @param map the codebook rule of the quantized eigenvectors and inverse root
   */
  public static Builder builder(QuantizationMap map) {
    return new Builder(map);
  }

  /** The quantization map of the stored matrices. */
  public QuantizationMap map() {
    return map;
  }

  /** t1: Björck steps before each statistic update. */
  public int statisticBjorckSteps() {
    return statisticBjorckSteps;
  }

  /** t2: Björck steps before each inverse-root refresh. */
  public int rootBjorckSteps() {
    return rootBjorckSteps;
  }

  /** {@value #NAME}. */
  @Override
  public String name() {
    return NAME;
  }

  /** A preconditioner with {@code V = I}, {@code λ = eps} and inverse root {@code I}. */
  @Override
  public Preconditioner create(int order, PreconditionerContext context) {
    Objects.requireNonNull(context, "context");
    if (order <= 0) {
      throw new IllegalArgumentException(
          "order of " + context.label() + " must be positive, got " + order);
    }
    return new EigenBjorckPreconditioner(
        order, context, context.quantizer(map), statisticBjorckSteps, rootBjorckSteps);
  }

  @Override
  public String toString() {
    return NAME + "[" + map.name() + ", t1=" + statisticBjorckSteps + ", t2=" + rootBjorckSteps
        + "]";
  }

  /** Builder of {@link EigenBjorckRepresentation}. */
  public static final class Builder {
    private final QuantizationMap map;
    private int statisticBjorckSteps = DEFAULT_STATISTIC_BJORCK_STEPS;
    private int rootBjorckSteps = DEFAULT_ROOT_BJORCK_STEPS;

    private Builder(QuantizationMap map) {
      this.map = Objects.requireNonNull(map, "map");
    }

    /**
     * t1: Björck steps on the dequantized eigenvectors before each statistic update.
     *
     * @param steps non-negative (0 turns the correction off)
     */
    public Builder statisticBjorckSteps(int steps) {
      this.statisticBjorckSteps = requireSteps(steps, "statisticBjorckSteps (t1)");
      return this;
    }

    /**
     * t2: Björck steps on the dequantized eigenvectors before each inverse-root refresh.
     *
     * @param steps non-negative (0 turns the correction off)
     */
    public Builder rootBjorckSteps(int steps) {
      this.rootBjorckSteps = requireSteps(steps, "rootBjorckSteps (t2)");
      return this;
    }

    /** Builds the representation. */
    public EigenBjorckRepresentation build() {
      return new EigenBjorckRepresentation(this);
    }

    private static int requireSteps(int steps, String name) {
      if (steps < 0) {
        throw new IllegalArgumentException(name + " must be non-negative, got " + steps);
      }
      return steps;
    }
  }
}
