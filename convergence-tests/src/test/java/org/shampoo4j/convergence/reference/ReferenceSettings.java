package org.shampoo4j.convergence.reference;

import java.util.Objects;
import org.shampoo4j.convergence.fixtures.MatrixQuantizer;

/**
 * Settings of the EJML reference preconditioners: the update {@code S ← beta·S + gramWeight·gram}
 * (Shampoo's EMA is {@code (β, 1−β)}; the online-convex analysis uses the plain sum {@code (1, 1)}),
 * {@code eps}, the root p, the 4-bit quantizer, the element count below which states stay fp32, and
 * the error-feedback factor βe of docs/algorithms.md §6. Immutable; build with {@link #builder(MatrixQuantizer)}.
 */
public final class ReferenceSettings {
  private final double beta;
  private final double gramWeight;
  private final double eps;
  private final int root;
  private final MatrixQuantizer quantizer;
  private final long minQuantizedElements;
  private final double errorBeta;

  private ReferenceSettings(Builder b) {
    this.beta = b.beta;
    this.gramWeight = b.gramWeight;
    this.eps = b.eps;
    this.root = b.root;
    this.quantizer = b.quantizer;
    this.minQuantizedElements = b.minQuantizedElements;
    this.errorBeta = b.errorBeta;
  }

  /** the documented defaults (docs/algorithms.md): β = 0.95 EMA, eps = 1e-6, p = 4, states of 4096+ elements quantized, βe = 0. */
  public static Builder builder(MatrixQuantizer quantizer) {
    return new Builder(quantizer);
  }

  /** Decay of the old statistic. */
  public double beta() {
    return beta;
  }

  /** Weight of the new gram matrix. */
  public double gramWeight() {
    return gramWeight;
  }

  /** Initial scale and relative ridge. */
  public double eps() {
    return eps;
  }

  /** The root p of {@code S^(−1/p)}. */
  public int root() {
    return root;
  }

  /** The quantizer of 4-bit states. */
  public MatrixQuantizer quantizer() {
    return quantizer;
  }

  /** Whether an n×n state is quantized (docs/algorithms.md §2: 4096 elements and up by default). */
  public boolean quantizes(int order) {
    return (long) order * order >= minQuantizedElements;
  }

  /** Error-feedback EMA factor βe (0 is classic error feedback). */
  public double errorBeta() {
    return errorBeta;
  }

  /** Builder of {@link ReferenceSettings}. */
  public static final class Builder {
    private double beta = 0.95;
    private double gramWeight = 0.05;
    private double eps = 1e-6;
    private int root = 4;
    private final MatrixQuantizer quantizer;
    private long minQuantizedElements = 4096;
    private double errorBeta = 0;

    private Builder(MatrixQuantizer quantizer) {
      this.quantizer = Objects.requireNonNull(quantizer, "quantizer");
    }

    /** Shampoo's EMA {@code S ← β·S + (1−β)·gram}, β in [0, 1). */
    public Builder ema(double beta) {
      if (!(beta >= 0 && beta < 1)) {
        throw new IllegalArgumentException("beta must be in [0, 1), got " + beta);
      }
      this.beta = beta;
      this.gramWeight = 1 - beta;
      return this;
    }

    /** The plain sum {@code S ← S + gram} of the online-convex analysis. */
    public Builder sum() {
      this.beta = 1;
      this.gramWeight = 1;
      return this;
    }

    /** Initial scale and relative ridge, positive. */
    public Builder eps(double eps) {
      if (!(eps > 0)) {
        throw new IllegalArgumentException("eps must be positive, got " + eps);
      }
      this.eps = eps;
      return this;
    }

    /** The root p, positive. */
    public Builder root(int root) {
      if (root <= 0) {
        throw new IllegalArgumentException("root must be positive, got " + root);
      }
      this.root = root;
      return this;
    }

    /** States with fewer elements stay fp32; {@code Long.MAX_VALUE} makes every state lossless. */
    public Builder minQuantizedElements(long min) {
      if (min < 0) {
        throw new IllegalArgumentException("minimum quantized size must be non-negative, got " + min);
      }
      this.minQuantizedElements = min;
      return this;
    }

    /** Error-feedback factor βe in [0, 1). */
    public Builder errorBeta(double errorBeta) {
      if (!(errorBeta >= 0 && errorBeta < 1)) {
        throw new IllegalArgumentException("error beta must be in [0, 1), got " + errorBeta);
      }
      this.errorBeta = errorBeta;
      return this;
    }

    /** Builds the settings. */
    public ReferenceSettings build() {
      return new ReferenceSettings(this);
    }
  }
}
