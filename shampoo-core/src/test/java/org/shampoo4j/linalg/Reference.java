package org.shampoo4j.linalg;

import java.util.Arrays;
import java.util.Random;
import org.ejml.data.Complex_F64;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;
import org.ejml.dense.row.RandomMatrices_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/** EJML (double precision) reference computations and test matrices for the linalg tests. */
final class Reference {
  private Reference() {}

  /** A random orthogonal n×n matrix. */
  static DMatrixRMaj orthogonal(int n, Random random) {
    return RandomMatrices_DDRM.orthogonal(n, n, random);
  }

  /** {@code Q·diag(values)·Qᵀ} for a random orthogonal Q. */
  static DMatrixRMaj withSpectrum(double[] values, Random random) {
    int n = values.length;
    DMatrixRMaj q = orthogonal(n, random);
    DMatrixRMaj qd = q.copy();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        qd.set(i, j, q.get(i, j) * values[j]);
      }
    }
    DMatrixRMaj a = new DMatrixRMaj(n, n);
    CommonOps_DDRM.multTransB(qd, q, a);
    symmetrize(a);
    return a;
  }

  /** n eigenvalues spaced logarithmically from 1 down to 1/condition. */
  static double[] logSpectrum(int n, double condition) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = Math.pow(condition, -(double) i / Math.max(1, n - 1));
    }
    return v;
  }

  /** A random SPD matrix G·Gᵀ/k + shift·I with G of shape n×k (Gaussian). */
  static DMatrixRMaj wishart(int n, int k, double shift, Random random) {
    DMatrixRMaj g = RandomMatrices_DDRM.rectangleGaussian(n, k, 0, 1, random);
    DMatrixRMaj a = new DMatrixRMaj(n, n);
    CommonOps_DDRM.multTransB(g, g, a);
    CommonOps_DDRM.scale(1.0 / k, a);
    for (int i = 0; i < n; i++) {
      a.add(i, i, shift);
    }
    return a;
  }

  static void symmetrize(DMatrixRMaj a) {
    for (int i = 0; i < a.numRows; i++) {
      for (int j = i + 1; j < a.numCols; j++) {
        double m = 0.5 * (a.get(i, j) + a.get(j, i));
        a.set(i, j, m);
        a.set(j, i, m);
      }
    }
  }

  /** Eigenvalues of a symmetric matrix, ascending. */
  static double[] eigenvalues(DMatrixRMaj a) {
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(a.numRows, false, true);
    if (!eig.decompose(a.copy())) {
      throw new IllegalStateException("EJML eig failed");
    }
    double[] v = new double[a.numRows];
    for (int i = 0; i < v.length; i++) {
      Complex_F64 c = eig.getEigenvalue(i);
      v[i] = c.real;
    }
    Arrays.sort(v);
    return v;
  }

  /** {@code (A + ridge·I)^(-1/p)} in double via EJML's symmetric eigendecomposition. */
  static DMatrixRMaj inverseRoot(DMatrixRMaj a, int p, double ridge) {
    return Eigen.of(a).inverseRoot(p, ridge);
  }

  /** A symmetric eigendecomposition in double, reusable for several ridges and roots. */
  record Eigen(double[] values, DMatrixRMaj vectors) {
    /** Decomposes a symmetric matrix with EJML; vectors are the columns of {@code vectors}. */
    static Eigen of(DMatrixRMaj a) {
      int n = a.numRows;
      EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
      if (!eig.decompose(a.copy())) {
        throw new IllegalStateException("EJML eig failed");
      }
      double[] values = new double[n];
      DMatrixRMaj vectors = new DMatrixRMaj(n, n);
      for (int k = 0; k < n; k++) {
        values[k] = eig.getEigenvalue(k).real;
        DMatrixRMaj u = eig.getEigenVector(k);
        double norm = NormOps_DDRM.normF(u);
        for (int i = 0; i < n; i++) {
          vectors.set(i, k, u.get(i) / norm);
        }
      }
      return new Eigen(values, vectors);
    }

    /** Largest eigenvalue. */
    double max() {
      return Arrays.stream(values).max().orElseThrow();
    }

    /** Smallest eigenvalue. */
    double min() {
      return Arrays.stream(values).min().orElseThrow();
    }

    /** {@code U·diag((λ + ridge)^(-1/p))·Uᵀ}. */
    DMatrixRMaj inverseRoot(int p, double ridge) {
      int n = values.length;
      DMatrixRMaj scaled = vectors.copy();
      for (int k = 0; k < n; k++) {
        double s = Math.pow(values[k] + ridge, -1.0 / p);
        for (int i = 0; i < n; i++) {
          scaled.set(i, k, scaled.get(i, k) * s);
        }
      }
      DMatrixRMaj result = new DMatrixRMaj(n, n);
      CommonOps_DDRM.multTransB(scaled, vectors, result);
      return result;
    }
  }

  /** {@code ‖A·Aᵀ − I‖F}. */
  static double orthogonalityError(DMatrixRMaj a) {
    DMatrixRMaj g = new DMatrixRMaj(a.numRows, a.numRows);
    CommonOps_DDRM.multTransB(a, a, g);
    for (int i = 0; i < a.numRows; i++) {
      g.add(i, i, -1);
    }
    return NormOps_DDRM.normF(g);
  }

  /** {@code ‖Aᵀ·A − I‖F} (orthonormal columns). */
  static double columnOrthogonalityError(DMatrixRMaj a) {
    DMatrixRMaj g = new DMatrixRMaj(a.numCols, a.numCols);
    CommonOps_DDRM.multTransA(a, a, g);
    for (int i = 0; i < a.numCols; i++) {
      g.add(i, i, -1);
    }
    return NormOps_DDRM.normF(g);
  }
}
