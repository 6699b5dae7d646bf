package org.shampoo4j.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;
import org.shampoo4j.testing.Matrices;
import org.shampoo4j.testing.MatrixErrors;

/** {@link TorchScriptMatrixFunctions} against EJML (double) and against the defining identities. */
class TorchScriptMatrixFunctionsTest {

  @Property(tries = 20, seed = "42")
  void eighReconstructsAndMatchesEjmlEigenvalues(
      @ForAll @IntRange(min = 1, max = 96) int n,
      @ForAll EighPrecision precision,
      @ForAll long seed) {
    DMatrixRMaj a = Reference.wishart(n, n + 3, 0.1, new Random(seed));
    double scale = CommonOps_DDRM.elementMaxAbs(a);
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f =
            new TorchScriptMatrixFunctions(
                m, TorchScriptMatrixFunctions.DEFAULT_POWER_ITERATIONS, precision)) {
      assertEquals(precision, f.eighPrecision());
      EigenPairs pairs = f.eigh(Matrices.toNd(m, a));
      assertEquals(new Shape(n), pairs.values().getShape());
      assertEquals(new Shape(n, n), pairs.vectors().getShape());
      NDArray v = pairs.vectors();
      NDArray rebuilt = v.mul(pairs.values().expandDims(0)).matMul(v.transpose());
      double nre = MatrixErrors.nre(Matrices.fromNd(rebuilt), a);
      assertTrue(nre < 1e-5, "eigh reconstruction NRE " + nre);
      assertTrue(Reference.columnOrthogonalityError(Matrices.fromNd(v)) < 1e-4 * Math.sqrt(n));
      float[] got = pairs.values().toFloatArray();
      double[] want = Reference.eigenvalues(a);
      for (int i = 0; i < n; i++) {
        assertEquals(want[i], got[i], 1e-5 * scale * n, "eigenvalue " + i);
        if (i > 0) {
          assertTrue(got[i - 1] <= got[i], "eigenvalues must ascend at " + i);
        }
      }
    }
  }

  @Property(tries = 20, seed = "42")
  void qrGivesOrthogonalQWithPositiveDiagonalR(
      @ForAll @IntRange(min = 1, max = 96) int n, @ForAll long seed) {
    Random r = new Random(seed);
    DMatrixRMaj a = new DMatrixRMaj(n, n);
    for (int i = 0; i < a.getNumElements(); i++) {
      a.set(i, r.nextGaussian());
    }
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      NDArray nd = Matrices.toNd(m, a);
      NDArray q = f.qr(nd);
      DMatrixRMaj qd = Matrices.fromNd(q);
      assertTrue(Reference.columnOrthogonalityError(qd) < 1e-5 * n, "QᵀQ ≠ I");
      DMatrixRMaj rd = Matrices.fromNd(q.transpose().matMul(nd));
      double norm = org.ejml.dense.row.NormOps_DDRM.normF(a);
      for (int i = 0; i < n; i++) {
        assertTrue(rd.get(i, i) >= -1e-5 * norm, "R[" + i + "," + i + "] = " + rd.get(i, i));
        for (int j = 0; j < i; j++) {
          assertEquals(0.0, rd.get(i, j), 1e-5 * norm, "R below diagonal at " + i + "," + j);
        }
      }
      DMatrixRMaj qr = new DMatrixRMaj(n, n);
      CommonOps_DDRM.mult(qd, rd, qr);
      assertTrue(MatrixErrors.nre(qr, a) < 1e-5, "QR ≠ A");
    }
  }

  @Test
  void qrAcceptsTallMatricesAndFlipsSigns() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      // -I has R = -I under plain Householder QR; the sign fix must give Q = -I, R = I.
      NDArray q = f.qr(m.eye(4).neg());
      assertArrayEquals(m.eye(4).neg().toFloatArray(), q.toFloatArray(), 1e-6f);
      NDArray tall = m.randomNormal(new Shape(6, 3));
      assertEquals(new Shape(6, 3), f.qr(tall).getShape());
      assertThrows(IllegalArgumentException.class, () -> f.qr(m.ones(new Shape(2, 3))));
    }
  }

  @Property(tries = 20, seed = "42")
  void choleskyReconstructs(@ForAll @IntRange(min = 1, max = 96) int n, @ForAll long seed) {
    DMatrixRMaj a = Reference.wishart(n, n + 3, 0.1, new Random(seed));
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      NDArray c = f.cholesky(Matrices.toNd(m, a));
      DMatrixRMaj cd = Matrices.fromNd(c);
      for (int i = 0; i < n; i++) {
        assertTrue(cd.get(i, i) > 0, "diagonal of the factor must be positive");
        for (int j = i + 1; j < n; j++) {
          assertEquals(0.0, cd.get(i, j), 0.0, "factor must be lower triangular");
        }
      }
      DMatrixRMaj cct = new DMatrixRMaj(n, n);
      CommonOps_DDRM.multTransB(cd, cd, cct);
      double nre = MatrixErrors.nre(cct, a);
      assertTrue(nre < 1e-5, "C·Cᵀ NRE " + nre);
    }
  }

  @Test
  void choleskyThrowsOnIndefiniteMatrix() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      // Eigenvalues 3 and -1: indefinite, the minor of order 2 fails.
      NDArray a = m.create(new float[] {1, 2, 2, 1}).reshape(2, 2);
      NotPositiveDefiniteException e =
          assertThrows(NotPositiveDefiniteException.class, () -> f.cholesky(a));
      assertTrue(e.getMessage().contains("order 2"), e.getMessage());
      NDArray negative = Matrices.toNd(m, Reference.withSpectrum(new double[] {1, 0.5, -1e-2},
          new Random(3)));
      assertThrows(NotPositiveDefiniteException.class, () -> f.cholesky(negative));
    }
  }

  @Property(tries = 20, seed = "42")
  void maxEigenvalueIsALowerBoundAndAccurateWithAGap(
      @ForAll @IntRange(min = 2, max = 128) int n, @ForAll long seed) {
    Random r = new Random(seed);
    // Spectrum: top eigenvalue 1, the rest uniform in [0, 0.8] (a gap of at least 20 %).
    double[] values = new double[n];
    values[0] = 1;
    for (int i = 1; i < n; i++) {
      values[i] = 0.8 * r.nextDouble();
    }
    double scale = Math.pow(10, r.nextInt(7) - 3);
    for (int i = 0; i < n; i++) {
      values[i] *= scale;
    }
    DMatrixRMaj a = Reference.withSpectrum(values, r);
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      NDArray estimate = f.maxEigenvalue(Matrices.toNd(m, a));
      assertEquals(new Shape(), estimate.getShape());
      double got = estimate.getFloat();
      // With a 20 % gap, 32 power iterations leave a relative error far below 1e-3.
      assertEquals(scale, got, 1e-3 * scale, "λmax");
      assertTrue(got <= scale * (1 + 1e-5), "Rayleigh quotient must not exceed λmax");
    }
  }

  /**
   * Statistics decayed by many all-zero gradients reach magnitudes whose squares underflow
   * float32: the estimate must still be λmax (here 4e-26 of diag(4, 2, 1, 1)·1e-26), not orders
   * of magnitude above it, which would make Shampoo's ridge swamp the statistic.
   */
  @Test
  void maxEigenvalueOfATinyMatrixIsItsLargestEigenvalue() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      for (float magnitude : new float[] {1e-26f, 1e-38f, 1e30f}) {
        float[] diagonal = {4 * magnitude, 2 * magnitude, magnitude, magnitude};
        float[] values = new float[16];
        for (int i = 0; i < 4; i++) {
          values[5 * i] = diagonal[i];
        }
        NDArray a = m.create(values, new Shape(4, 4));
        float got = f.maxEigenvalue(a).getFloat();
        assertEquals(4 * magnitude, got, 1e-3 * 4 * magnitude, "λmax at magnitude " + magnitude);
      }
    }
  }

  @Test
  void maxEigenvalueOfZeroIsZeroAndStaysOnManager() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      try (NDManager sub = m.newSubManager()) {
        NDArray zero = sub.zeros(new Shape(5, 5));
        int before = sub.getManagedArrays().size();
        NDArray e = f.maxEigenvalue(zero);
        assertEquals(0f, e.getFloat());
        // Only the result is left on the caller's manager: intermediates were freed.
        assertEquals(before + 1, sub.getManagedArrays().size());
      }
    }
  }

  @Test
  void rejectsBadInput() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      assertThrows(IllegalArgumentException.class, () -> f.eigh(m.ones(new Shape(2, 3))));
      assertThrows(IllegalArgumentException.class, () -> f.cholesky(m.ones(new Shape(4))));
      assertThrows(
          IllegalArgumentException.class,
          () -> f.maxEigenvalue(m.ones(new Shape(3, 3), ai.djl.ndarray.types.DataType.FLOAT64)));
      assertThrows(IllegalArgumentException.class, () -> new TorchScriptMatrixFunctions(m, 0));
      assertThrows(
          IllegalArgumentException.class, () -> new TorchScriptMatrixFunctions(m, 8, null));
    }
  }
}
