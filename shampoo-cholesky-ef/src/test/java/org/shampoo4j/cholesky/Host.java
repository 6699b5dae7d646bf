package org.shampoo4j.cholesky;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.RandomMatrices_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/** Host-side (EJML, double) reference computations and test matrices. */
final class Host {
  private Host() {}

  /** G·Gᵀ/k for a Gaussian n×k G whose rows are scaled by {@code rowScale} (conditioning). */
  static DMatrixRMaj gram(int n, int k, double[] rowScale, Random random) {
    DMatrixRMaj g = RandomMatrices_DDRM.rectangleGaussian(n, k, 0, 1, random);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < k; j++) {
        g.set(i, j, g.get(i, j) * rowScale[i]);
      }
    }
    DMatrixRMaj a = new DMatrixRMaj(n, n);
    CommonOps_DDRM.multTransB(g, g, a);
    CommonOps_DDRM.scale(1.0 / k, a);
    return a;
  }

  /** Row scales 1 for all rows. */
  static double[] ones(int n) {
    double[] s = new double[n];
    java.util.Arrays.fill(s, 1.0);
    return s;
  }

  /** Row scales spaced logarithmically from 1 down to 1/√condition (the gram gets ~condition). */
  static double[] logScales(int n, double condition) {
    double[] s = new double[n];
    for (int i = 0; i < n; i++) {
      s[i] = Math.pow(condition, -0.5 * i / Math.max(1, n - 1));
    }
    return s;
  }

  /** A random orthogonal rotation applied on both sides: Q·A·Qᵀ (mixes the rows' scales). */
  static DMatrixRMaj rotate(DMatrixRMaj a, DMatrixRMaj q) {
    DMatrixRMaj tmp = new DMatrixRMaj(a.numRows, a.numCols);
    DMatrixRMaj out = new DMatrixRMaj(a.numRows, a.numCols);
    CommonOps_DDRM.mult(q, a, tmp);
    CommonOps_DDRM.multTransB(tmp, q, out);
    symmetrize(out);
    return out;
  }

  /** Replaces a by (a + aᵀ)/2. */
  static void symmetrize(DMatrixRMaj a) {
    for (int i = 0; i < a.numRows; i++) {
      for (int j = 0; j < i; j++) {
        double v = 0.5 * (a.get(i, j) + a.get(j, i));
        a.set(i, j, v);
        a.set(j, i, v);
      }
    }
  }

  /** Ascending eigenvalues of a symmetric matrix. */
  static double[] eigenvalues(DMatrixRMaj a) {
    DMatrixRMaj s = a.copy();
    symmetrize(s);
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(s.numRows, false, true);
    if (!eig.decompose(s)) {
      throw new IllegalStateException("eigendecomposition failed");
    }
    double[] v = new double[s.numRows];
    for (int i = 0; i < v.length; i++) {
      v[i] = eig.getEigenvalue(i).getReal();
    }
    java.util.Arrays.sort(v);
    return v;
  }

  /** {@code (A + ridge·I)^(−1/p)} by eigendecomposition in double, eigenvalues floored at 1e-7·λmax. */
  static DMatrixRMaj inverseRoot(DMatrixRMaj a, int p, double ridge) {
    int n = a.numRows;
    DMatrixRMaj s = a.copy();
    symmetrize(s);
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
    if (!eig.decompose(s)) {
      throw new IllegalStateException("eigendecomposition failed");
    }
    double top = Double.MIN_NORMAL;
    for (int k = 0; k < n; k++) {
      top = Math.max(top, eig.getEigenvalue(k).getReal() + ridge);
    }
    // Eigenvalues clamped to 1e-7·λmax as EighInverseRoot does, so an indefinite input (naive
    // quantization) gets the root the optimizer would use instead of an overflow.
    double floor = 1e-7 * top;
    DMatrixRMaj out = new DMatrixRMaj(n, n);
    for (int k = 0; k < n; k++) {
      double lambda = eig.getEigenvalue(k).getReal() + ridge;
      double w = Math.pow(Math.max(lambda, floor), -1.0 / p);
      DMatrixRMaj v = eig.getEigenVector(k);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          out.add(i, j, w * v.get(i) * v.get(j));
        }
      }
    }
    return out;
  }

  /** ‖λ(a) − λ(b)‖₂ / ‖λ(b)‖₂ over sorted spectra. */
  static double spectralError(DMatrixRMaj a, DMatrixRMaj b) {
    double[] x = eigenvalues(a);
    double[] y = eigenvalues(b);
    double num = 0;
    double den = 0;
    for (int i = 0; i < x.length; i++) {
      num += (x[i] - y[i]) * (x[i] - y[i]);
      den += y[i] * y[i];
    }
    return Math.sqrt(num / den);
  }

  /** max |a_ij − a_ji| / max |a_ij|. */
  static double asymmetry(DMatrixRMaj a) {
    double worst = 0;
    for (int i = 0; i < a.numRows; i++) {
      for (int j = 0; j < i; j++) {
        worst = Math.max(worst, Math.abs(a.get(i, j) - a.get(j, i)));
      }
    }
    return worst / Math.max(CommonOps_DDRM.elementMaxAbs(a), Double.MIN_NORMAL);
  }

  /** β·s + (1−β)·g, a new matrix. */
  static DMatrixRMaj ema(DMatrixRMaj s, DMatrixRMaj g, double beta) {
    DMatrixRMaj out = new DMatrixRMaj(s.numRows, s.numCols);
    CommonOps_DDRM.add(beta, s, 1 - beta, g, out);
    return out;
  }

  /** eps·I. */
  static DMatrixRMaj scaledIdentity(int n, double eps) {
    DMatrixRMaj out = CommonOps_DDRM.identity(n);
    CommonOps_DDRM.scale(eps, out);
    return out;
  }
}
