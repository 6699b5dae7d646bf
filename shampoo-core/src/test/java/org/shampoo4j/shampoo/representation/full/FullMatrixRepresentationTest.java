package org.shampoo4j.shampoo.representation.full;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.shampoo.RootMethod;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;

/**
 * The fp32 representation against an fp64 EJML reference: the statistic follows the EMA exactly
 * (fp32 rounding), and the inverse root {@code (S + eps·λmax·I)^(−1/4)} matches EJML's
 * eigendecomposition-based root. Documented tolerances (relative Frobenius error): 1e-3 for
 * eigh, 5e-3 for 10-step coupled Newton, on statistics built from full-rank gradients (condition
 * number of the statistic in the tens to hundreds).
 */
class FullMatrixRepresentationTest {
  private static final float BETA = 0.95f;
  private static final float EPS = 1e-6f;

  @Test
  void statisticAndRootMatchEjml() {
    for (RootMethod method : RootMethod.values()) {
      for (int n : new int[] {8, 48}) {
        double err = rootError(method, n, 3 * n, 4);
        double tol = method == RootMethod.EIGH ? 1e-3 : 5e-3;
        System.out.printf("full-fp32 %s n=%d: relative Frobenius error of S^(-1/4) vs EJML = %.3g"
            + " (tolerance %.0e)%n", method, n, err, tol);
        assertTrue(err < tol, method + " n=" + n + " error " + err);
      }
    }
  }

  /** Rank-deficient gradients make S nearly singular; reported, not asserted beyond finiteness. */
  @Test
  void illConditionedStatisticIsReported() {
    for (RootMethod method : RootMethod.values()) {
      double err = rootError(method, 32, 4, 3);
      System.out.printf("full-fp32 %s n=32, rank-4 gradients (S condition ~1e6): relative error"
          + " vs EJML = %.3g%n", method, err);
      assertTrue(Double.isFinite(err));
    }
  }

  @Test
  void startsAtEpsIdentityWithIdentityRootAndReportsItsBytes() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      Preconditioner p = new FullMatrixRepresentation().create(5, context(m, f, RootMethod.EIGH));
      assertEquals(5, p.order());
      assertArrayEquals(m.eye(5).mul(EPS).toFloatArray(), p.statistic(m).toFloatArray(), 0f);
      assertArrayEquals(m.eye(5).toFloatArray(), p.inverseRoot(m).toFloatArray(), 0f);
      assertEquals(2L * 25 * 4, p.memory().fp32Bytes());
      assertEquals(0, p.memory().codeBytes());
      p.close();
    }
  }

  @Test
  void ridgeDoesNotEnterTheStoredStatistic() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        Preconditioner p = new FullMatrixRepresentation().create(6,
            context(m, f, RootMethod.EIGH))) {
      NDArray g = m.randomNormal(new Shape(6, 12));
      p.accumulate(g.matMul(g.transpose()));
      float[] before = p.statistic(m).toFloatArray();
      p.refreshInverseRoot();
      assertArrayEquals(before, p.statistic(m).toFloatArray(), 0f);
    }
  }

  private static PreconditionerContext context(NDManager m, TorchScriptMatrixFunctions f,
      RootMethod method) {
    return PreconditionerContext.builder().label("test.L").beta(BETA).epsilon(EPS).linalg(f)
        .rootMethod(method.create(f, 10)).manager(m).build();
  }

  /** Relative Frobenius error of the representation's root after {@code updates} grams. */
  private static double rootError(RootMethod method, int n, int k, int updates) {
    Random random = new Random(17L * n + k);
    DMatrixRMaj s = CommonOps_DDRM.identity(n);
    CommonOps_DDRM.scale(EPS, s);
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        Preconditioner p = new FullMatrixRepresentation().create(n, context(m, f, method))) {
      for (int u = 0; u < updates; u++) {
        float[] g = new float[n * k];
        for (int i = 0; i < g.length; i++) {
          g[i] = (float) (random.nextGaussian() * (1 + (i / k) % 5));
        }
        NDArray ga = m.create(g, new Shape(n, k));
        NDArray gram = ga.matMul(ga.transpose());
        p.accumulate(gram);
        DMatrixRMaj gramRef = new DMatrixRMaj(n, n);
        float[] gramHost = gram.toFloatArray();
        for (int i = 0; i < gramHost.length; i++) {
          gramRef.data[i] = gramHost[i];
        }
        CommonOps_DDRM.scale(BETA, s);
        CommonOps_DDRM.addEquals(s, 1 - BETA, gramRef);
      }
      float[] stat = p.statistic(m).toFloatArray();
      double statErr = 0;
      double statNorm = 0;
      for (int i = 0; i < stat.length; i++) {
        statErr += Math.pow(stat[i] - s.data[i], 2);
        statNorm += s.data[i] * s.data[i];
      }
      assertTrue(Math.sqrt(statErr / statNorm) < 1e-6, "statistic follows the EMA");
      p.refreshInverseRoot();
      float[] root = p.inverseRoot(m).toFloatArray();
      DMatrixRMaj ref = inverseFourthRoot(s);
      double err = 0;
      double norm = 0;
      for (int i = 0; i < root.length; i++) {
        err += Math.pow(root[i] - ref.data[i], 2);
        norm += ref.data[i] * ref.data[i];
      }
      return Math.sqrt(err / norm);
    }
  }

  /** (S + eps·λmax·I)^(−1/4) by EJML's symmetric eigendecomposition in fp64. */
  private static DMatrixRMaj inverseFourthRoot(DMatrixRMaj s) {
    int n = s.numRows;
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
    if (!eig.decompose(s.copy())) {
      throw new IllegalStateException("EJML eig failed");
    }
    double max = 0;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, eig.getEigenvalue(i).real);
    }
    DMatrixRMaj out = new DMatrixRMaj(n, n);
    for (int i = 0; i < n; i++) {
      double lambda = eig.getEigenvalue(i).real + EPS * max;
      DMatrixRMaj v = eig.getEigenVector(i);
      double w = Math.pow(lambda, -0.25);
      for (int r = 0; r < n; r++) {
        for (int c = 0; c < n; c++) {
          out.add(r, c, w * v.get(r) * v.get(c));
        }
      }
    }
    return out;
  }
}
