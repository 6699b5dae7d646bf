package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.testing.Matrices;

/**
 * The ridge {@code eps·λmax} of the Cholesky root on a rank-deficient statistic (fp32 factor, no
 * quantization): five grams of rank 3 in order 16 (statistic ranks 3, 6, …, 15) leave directions
 * set by the ridge, so each root is checked against the exact {@code (S + eps·λmax(S)·I)^(−1/4)}
 * of the stored statistic {@code S = C·Cᵀ}, in float64. Full-rank grams (the other root tests)
 * hide the ridge.
 */
class RankDeficientRootTest {
  private static final int ORDER = 16;
  private static final int RANK = 3;

  /**
   * Measured (CPU, seed 5), worst root NRE over the five updates: 3.9e-4 (eps 1e-6) and 3.8e-7
   * (eps 1e-3). With a bug planted in {@code refreshInverseRoot} it was: ridge dropped 0.188 and
   * 0.187; eps without λmax 0.185 and 0.184; ridge doubled 0.096 and 0.096. The bounds sit 10x
   * above the measurement and 24x and 24000x below the smallest bug.
   */
  private static final double BOUND_EPS_1E6 = 4e-3;
  private static final double BOUND_EPS_1E3 = 4e-6;

  @Test
  void rootsOfRankDeficientStatisticsMatchTheExactRidgedRoot() {
    java.util.List<String> failures = new java.util.ArrayList<>();
    for (float eps : new float[] {1e-6f, 1e-3f}) {
      double bound = eps < 1e-4f ? BOUND_EPS_1E6 : BOUND_EPS_1E3;
      Random random = new Random(5);
      try (NDManager m = NDManager.newBaseManager();
          TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
        var ctx = Fixtures.context(m, f, Long.MAX_VALUE).epsilon(eps).build();
        double worst = 0;
        try (CholeskyEfPreconditioner p = Fixtures.create(ORDER, ctx, CholeskyEfConfig.defaults())) {
          for (int round = 1; round <= 5; round++) {
            DMatrixRMaj g = new DMatrixRMaj(ORDER, RANK);
            for (int i = 0; i < g.data.length; i++) {
              // Gradients of scale 10: λmax ≈ 100, so eps alone and eps·λmax differ 100-fold.
              g.data[i] = 10 * random.nextGaussian();
            }
            DMatrixRMaj gram = new DMatrixRMaj(ORDER, ORDER);
            CommonOps_DDRM.multTransB(g, g, gram);
            try (NDArray nd = Matrices.toNd(m, gram)) {
              p.accumulate(nd);
            }
            p.refreshInverseRoot();
            try (NDManager scope = m.newSubManager()) {
              DMatrixRMaj stored = Matrices.fromNd(p.statistic(scope));
              DMatrixRMaj root = Matrices.fromNd(p.inverseRoot(scope));
              double e = nre(root, exactRidgedRoot(stored, eps));
              System.out.printf("rank-%d cholesky, eps %.0e, round %d: root NRE vs exact ridged "
                  + "root of the stored statistic %.2e%n", RANK, eps, round, e);
              worst = Math.max(worst, e);
            }
          }
        }
        if (!(worst < bound)) {
          failures.add("eps " + eps + ": root NRE " + worst + " >= " + bound);
        }
      }
    }
    assertTrue(failures.isEmpty(), String.join("; ", failures));
  }

  /** {@code (S + eps·λmax(S)·I)^(−1/4)} in float64. */
  private static DMatrixRMaj exactRidgedRoot(DMatrixRMaj s, double eps) {
    int n = s.numRows;
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
    if (!eig.decompose(s.copy())) {
      throw new IllegalStateException("eigendecomposition failed");
    }
    double max = 0;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, eig.getEigenvalue(i).getReal());
    }
    DMatrixRMaj out = new DMatrixRMaj(n, n);
    for (int i = 0; i < n; i++) {
      DMatrixRMaj v = eig.getEigenVector(i);
      double d = Math.pow(Math.max(eig.getEigenvalue(i).getReal(), 0) + eps * max, -0.25);
      for (int r = 0; r < n; r++) {
        for (int c = 0; c < n; c++) {
          out.add(r, c, d * v.get(r, 0) * v.get(c, 0));
        }
      }
    }
    return out;
  }

  private static double nre(DMatrixRMaj approx, DMatrixRMaj exact) {
    DMatrixRMaj diff = approx.copy();
    CommonOps_DDRM.subtractEquals(diff, exact);
    return CommonOps_DDRM.elementSum(elementSquare(diff)) == 0 ? 0
        : Math.sqrt(CommonOps_DDRM.elementSum(elementSquare(diff))
            / CommonOps_DDRM.elementSum(elementSquare(exact)));
  }

  private static DMatrixRMaj elementSquare(DMatrixRMaj a) {
    DMatrixRMaj out = a.copy();
    CommonOps_DDRM.elementMult(out, a);
    return out;
  }
}
