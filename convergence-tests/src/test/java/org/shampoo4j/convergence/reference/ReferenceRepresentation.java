package org.shampoo4j.convergence.reference;

import java.util.function.BiFunction;

/**
 * The five representations the suites compare, each built on the EJML reference with quant-api's
 * pure-Java quantizer, following the update rules of docs/algorithms.md §1, §3 and §6.
 */
public enum ReferenceRepresentation {
  /** 32-bit Shampoo: the statistic and its root kept exactly (double). */
  FP32("32-bit", Fp32Reference::new),
  /** Naive 4-bit: the statistic and its root stored 4-bit off-diagonal (docs/algorithms.md §3). */
  NAIVE_4BIT("naive 4-bit", NaiveQuantizedReference::new),
  /** 4-bit eigenvectors, fp32 eigenvalues, Björck + warm subspace iteration (docs/algorithms.md §3). */
  EIGEN_4BIT("eigen 4-bit", EigenBjorckReference::new),
  /** 4-bit Cholesky factor without error feedback (docs/algorithms.md §6). */
  CHOLESKY_4BIT("Cholesky 4-bit", (n, s) -> new CholeskyReference(n, s, false)),
  /** 4-bit Cholesky factor with error feedback (docs/algorithms.md §6). */
  CHOLESKY_EF_4BIT("Cholesky+EF 4-bit", (n, s) -> new CholeskyReference(n, s, true));

  private final String label;
  private final BiFunction<Integer, ReferenceSettings, ReferencePreconditioner> factory;

  ReferenceRepresentation(
      String label, BiFunction<Integer, ReferenceSettings, ReferencePreconditioner> factory) {
    this.label = label;
    this.factory = factory;
  }

  /** The name printed in reports. */
  public String label() {
    return label;
  }

  /** A fresh state of order n: statistic {@code eps·I}, inverse root I. */
  public ReferencePreconditioner create(int order, ReferenceSettings settings) {
    if (order < 1) {
      throw new IllegalArgumentException("order must be positive, got " + order);
    }
    return factory.apply(order, settings);
  }
}
