package org.shampoo4j.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.RandomMatrices_DDRM;
import org.junit.jupiter.api.Test;
import org.shampoo4j.testing.HostComputePower;
import org.shampoo4j.testing.Matrices;
import org.shampoo4j.testing.MatrixErrors;

/**
 * {@link OfficialComputePower} (fp32, on the device) against {@link HostComputePower}, the same
 * iteration in double with EJML: symmetric positive definite, slightly asymmetric (as a
 * dequantized statistic is) and indefinite inputs, covering all three ways the iteration ends.
 */
class OfficialComputePowerTest {
  private static final float EPS = 1e-6f;
  /** fp32 against double on condition <= 1e3: measured below 3e-6; over 30x headroom. */
  private static final double TOLERANCE = 1e-4;

  /**
   * Symmetric inputs with an asymmetric perturbation of relative size up to 1e-2, condition up to
   * 1e3: device and host agree, and the power iteration's λ̂ too.
   */
  @Property(tries = 12, seed = "42")
  void matchesTheHostReference(
      @ForAll @IntRange(min = 2, max = 96) int n,
      @ForAll @IntRange(min = 0, max = 3) int log10Condition,
      @ForAll @IntRange(min = 0, max = 2) int log10Asymmetry,
      @ForAll long seed) {
    Random random = new Random(seed);
    DMatrixRMaj a = Reference.withSpectrum(
        Reference.logSpectrum(n, Math.pow(10, log10Condition)), random);
    double asymmetry = log10Asymmetry == 0 ? 0 : Math.pow(10, -1 - log10Asymmetry);
    DMatrixRMaj noise = RandomMatrices_DDRM.rectangleGaussian(n, n, 0, asymmetry / n, random);
    for (int i = 0; i < a.getNumElements(); i++) {
      a.data[i] += noise.data[i];
    }
    HostComputePower.Result want = HostComputePower.inverseRoot(a, 4, EPS, 10);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray nd = Matrices.toNd(m, a);
      OfficialComputePower official = new OfficialComputePower(EPS);
      double lambda = official.maxEigenvalue(nd).getFloat();
      double nre = MatrixErrors.nre(Matrices.fromNd(official.inverseRoot(nd, 4)), want.root());
      System.out.printf("n=%d cond=1e%d asym=%.0e: host %d steps (%s), λ̂ %.6g vs %.6g, NRE %.2e%n",
          n, log10Condition, asymmetry, want.steps(), want.stop(), lambda, want.lambda(), nre);
      assertEquals(want.lambda(), lambda, 1e-5 * Math.abs(want.lambda()));
      assertTrue(nre < TOLERANCE, "NRE vs host reference " + nre);
    }
  }

  /**
   * A matrix with a large negative eigenvalue: the scaled M has an eigenvalue below 0, which the
   * Newton map drives away from 1, so the max-abs error grows and the iteration stops early with
   * the last good iterate, on the device as on the host.
   */
  @Test
  void stopsWhenTheErrorGrows() {
    int n = 24;
    double[] spectrum = Reference.logSpectrum(n, 10);
    spectrum[n - 1] = -0.5;
    DMatrixRMaj a = Reference.withSpectrum(spectrum, new Random(3));
    HostComputePower.Result want = HostComputePower.inverseRoot(a, 4, EPS, 10);
    System.out.printf("indefinite: host stopped after %d steps (%s)%n", want.steps(), want.stop());
    assertEquals(HostComputePower.Stop.DIVERGED, want.stop());
    assertTrue(want.steps() < 10);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray root = new OfficialComputePower(EPS).inverseRoot(Matrices.toNd(m, a), 4);
      double nre = MatrixErrors.nre(Matrices.fromNd(root), want.root());
      assertTrue(nre < TOLERANCE, "NRE vs host reference " + nre);
    }
  }

  /** A well-conditioned input converges below the tolerance, and then equals the exact root. */
  @Test
  void convergesOnAWellConditionedInput() {
    DMatrixRMaj a = Reference.withSpectrum(Reference.logSpectrum(8, 2), new Random(4));
    HostComputePower.Result want = HostComputePower.inverseRoot(a, 4, EPS, 10);
    assertEquals(HostComputePower.Stop.CONVERGED, want.stop());
    double ridge = EPS * Reference.Eigen.of(a).max();
    DMatrixRMaj exact = Reference.inverseRoot(a, 4, ridge);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray root = new OfficialComputePower(EPS).inverseRoot(Matrices.toNd(m, a), 4);
      double nre = MatrixErrors.nre(Matrices.fromNd(root), exact);
      System.out.printf("well conditioned: %d host steps, NRE vs exact root %.2e%n", want.steps(),
          nre);
      assertTrue(nre < 1e-5, "NRE vs exact root " + nre);
    }
  }

  @Test
  void orderOneIsTheIdentityAndBadSettingsAreRejected() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray one = new OfficialComputePower(EPS).inverseRoot(m.create(new float[] {4f},
          new ai.djl.ndarray.types.Shape(1, 1)), 4);
      assertArrayEquals(new float[] {1f}, one.toFloatArray(), 0f);
      IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
          () -> new OfficialComputePower(EPS).inverseRoot(m.zeros(
              new ai.djl.ndarray.types.Shape(2, 3)), 4));
      assertTrue(shape.getMessage().contains("square"), shape.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> new OfficialComputePower(0f));
    assertThrows(IllegalArgumentException.class, () -> new OfficialComputePower(Float.NaN));
    assertThrows(IllegalArgumentException.class, () -> new OfficialComputePower(EPS, 0));
  }
}
