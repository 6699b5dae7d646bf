package org.shampoo4j.convergence.perturbation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.shampoo4j.convergence.fixtures.Dense;
import org.shampoo4j.convergence.fixtures.InverseRootApproximations;
import org.shampoo4j.convergence.fixtures.Maps;
import org.shampoo4j.convergence.fixtures.MatrixQuantizer;
import org.shampoo4j.convergence.fixtures.RunSize;
import org.shampoo4j.convergence.fixtures.SpdFamilies;
import org.shampoo4j.convergence.fixtures.SpdMatrix;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.testing.MatrixErrors;

/**
 * Björck orthonormalisation of the dequantized eigenvector matrix (docs/algorithms.md §3): each step shrinks the
 * orthogonality defect {@code ‖V·Vᵀ − I‖_F} while it is above rounding level, and the
 * {@code A^(−1/4)} error after the paper's t2 = 4 steps is below the error without them.
 */
class BjorckStepsTest {
  @Test
  void bjorckStepsShrinkOrthogonalityDefectAndRootError() {
    int n = RunSize.pick(256, 1200);
    int maxSteps = 6;
    System.out.printf("[Bjorck] n=%d, 4-bit B=64, synthetic kappa=1e4 (%s run)%n", n, RunSize.label());
    for (QuantizationMap map : Maps.both()) {
      MatrixQuantizer q = MatrixQuantizer.fourBit(map);
      SpdMatrix a = SpdFamilies.geometric(n, 1e4, new Random(7));
      DMatrixRMaj exact = InverseRootApproximations.exact(a, -0.25);
      DMatrixRMaj v = InverseRootApproximations.quantizedEigenvectorRows(a, q);
      double[] lambda = InverseRootApproximations.fp32Eigenvalues(a);
      double[] defect = new double[maxSteps + 1];
      double[] nre = new double[maxSteps + 1];
      for (int t = 0; t <= maxSteps; t++) {
        defect[t] = Dense.orthogonalityDefect(v);
        nre[t] = MatrixErrors.nre(InverseRootApproximations.fromEigenvectorRows(v, lambda, -0.25), exact);
        System.out.printf("  %-9s steps=%d  ||VV^T-I||_F=%.3e  NRE(A^-1/4)=%.4f%n",
            Maps.shortName(map), t, defect[t], nre[t]);
        v = Dense.bjorckStep(v);
      }
      for (int t = 1; t <= maxSteps; t++) {
        if (defect[t - 1] > 1e-9) {
          int step = t;
          assertTrue(defect[t] < defect[t - 1], () -> String.format(
              "%s: step %d did not shrink the defect (%.3e -> %.3e)",
              map.name(), step, defect[step - 1], defect[step]));
        }
      }
      assertTrue(nre[4] < nre[0], () -> String.format(
          "%s: 4 Björck steps should lower the root error, got %.4f -> %.4f", map.name(), nre[0], nre[4]));
    }
  }
}
