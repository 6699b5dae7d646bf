package org.shampoo4j.convergence.optimization;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;

/**
 * A finite-sum problem {@code f(W) = (1/N)·Σ f_i(W)} over one matrix parameter W, with a stochastic
 * (mini-batch) gradient for the optimizer and the full (sub)gradient for the stationarity measure.
 * Implementations are immutable; their data are fixed at construction.
 */
interface Problem {
  /** A short name for reports. */
  String name();

  /** Whether f is smooth (else the gradients are subgradients). */
  boolean smooth();

  /** The starting point W0 (a fresh copy). */
  DMatrixRMaj initial();

  /** The objective f(W). */
  double loss(DMatrixRMaj w);

  /** The full-batch (sub)gradient of f at W. */
  DMatrixRMaj fullGradient(DMatrixRMaj w);

  /** The (sub)gradient of the mean loss over a random mini-batch drawn with {@code random}. */
  DMatrixRMaj stochasticGradient(DMatrixRMaj w, Random random);
}
