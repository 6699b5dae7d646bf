package org.shampoo4j.shampoo.representation.eigen;

import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.shampoo4j.linalg.EighInverseRoot;
import org.shampoo4j.linalg.MatrixFunctions;
import org.shampoo4j.shampoo.representation.PreconditionerContext;

/**
 * Test helpers for preconditioner representations: contexts, host (EJML, float64) reference
 * computations and the error measures of docs/algorithms.md §3 (NRE and angle error).
 */
public final class RepresentationFixtures {
  private RepresentationFixtures() {}

  /**
   * A context with eigh inverse roots; {@code minQuantized = Long.MAX_VALUE} keeps every state
   * fp32 (a lossless quantizer).
   */
  public static PreconditionerContext context(
      NDManager manager, MatrixFunctions functions, long minQuantized) {
    return PreconditionerContext.builder()
        .label("test")
        .linalg(functions)
        .rootMethod(new EighInverseRoot(functions))
        .manager(manager)
        .minQuantizedElements(minQuantized)
        .build();
  }

  /** A Haar-ish random orthogonal matrix: Q of a Gaussian matrix. */
  public static DMatrixRMaj randomOrthogonal(int n, Random random) {
    DMatrixRMaj g = gaussian(n, n, random);
    QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(n, n);
    if (!qr.decompose(g)) {
      throw new IllegalStateException("QR failed");
    }
    return qr.getQ(null, false);
  }

  /** An n×m matrix of standard normal entries. */
  public static DMatrixRMaj gaussian(int n, int m, Random random) {
    DMatrixRMaj g = new DMatrixRMaj(n, m);
    for (int i = 0; i < g.data.length; i++) {
      g.data[i] = random.nextGaussian();
    }
    return g;
  }

  /** {@code U·diag(values)·Uᵀ}. */
  public static DMatrixRMaj withSpectrum(DMatrixRMaj u, double[] values) {
    DMatrixRMaj scaled = u.copy();
    for (int i = 0; i < u.numRows; i++) {
      for (int j = 0; j < u.numCols; j++) {
        scaled.set(i, j, u.get(i, j) * values[j]);
      }
    }
    DMatrixRMaj out = new DMatrixRMaj(u.numRows, u.numRows);
    CommonOps_DDRM.multTransB(scaled, u, out);
    return out;
  }

  /** {@code G·Gᵀ}. */
  public static DMatrixRMaj gram(DMatrixRMaj g) {
    DMatrixRMaj out = new DMatrixRMaj(g.numRows, g.numRows);
    CommonOps_DDRM.multTransB(g, g, out);
    return out;
  }

  /** The exact {@code (S + eps·λmax(S)·I)^(−1/p)} of a symmetric PSD matrix, in float64. */
  public static DMatrixRMaj inverseRoot(DMatrixRMaj s, double eps, int p) {
    int n = s.numRows;
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
    if (!eig.decompose(s.copy())) {
      throw new IllegalStateException("eigendecomposition failed");
    }
    double max = 0;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, eig.getEigenvalue(i).getReal());
    }
    DMatrixRMaj u = new DMatrixRMaj(n, n);
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      DMatrixRMaj v = eig.getEigenVector(i);
      for (int r = 0; r < n; r++) {
        u.set(r, i, v.get(r, 0));
      }
      values[i] = Math.pow(Math.max(eig.getEigenvalue(i).getReal(), 0) + eps * max, -1.0 / p);
    }
    return withSpectrum(u, values);
  }

  /** {@code ‖V·Vᵀ − I‖F}. */
  public static double orthogonalityError(DMatrixRMaj v) {
    DMatrixRMaj vvt = new DMatrixRMaj(v.numRows, v.numRows);
    CommonOps_DDRM.multTransB(v, v, vvt);
    for (int i = 0; i < v.numRows; i++) {
      vvt.add(i, i, -1);
    }
    return NormOps_DDRM.normF(vvt);
  }
}
