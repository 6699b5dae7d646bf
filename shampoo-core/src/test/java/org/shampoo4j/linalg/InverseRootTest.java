package org.shampoo4j.linalg;

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
import org.junit.jupiter.api.Test;
import org.shampoo4j.testing.Matrices;
import org.shampoo4j.testing.MatrixErrors;

/**
 * Both {@link InverseRootMethod}s against EJML's {@code A^(-1/p)} computed in double.
 *
 * <p>Tolerances (normalised relative error, NRE): the matrices here have condition numbers up to
 * 1e2 (orders 16..128; roots p = 1..8 at condition 30), where both routes measured NRE of
 * 1e-8..1.3e-6 in fp32; the bound asserted for both is 2e-5, over 10× headroom. The
 * ill-conditioned behaviour is reported, not asserted tightly, by {@link InverseRootAccuracyTest}.
 */
class InverseRootTest {
  static final double EIGH_TOLERANCE = 2e-5;
  static final double NEWTON_TOLERANCE = 2e-5;

  @Property(tries = 12, seed = "42")
  void bothMethodsMatchEjmlInverseFourthRoot(
      @ForAll @IntRange(min = 16, max = 128) int n,
      @ForAll @IntRange(min = 0, max = 2) int log10Condition,
      @ForAll long seed) {
    double condition = Math.pow(10, log10Condition);
    double scale = Math.pow(10, new Random(seed).nextInt(5) - 2);
    double[] spectrum = Reference.logSpectrum(n, condition);
    for (int i = 0; i < n; i++) {
      spectrum[i] *= scale;
    }
    DMatrixRMaj a = Reference.withSpectrum(spectrum, new Random(seed));
    DMatrixRMaj want = Reference.inverseRoot(a, 4, 0);
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      NDArray nd = Matrices.toNd(m, a);
      double eigh = MatrixErrors.nre(Matrices.fromNd(new EighInverseRoot(f).inverseRoot(nd, 4)), want);
      double newton =
          MatrixErrors.nre(
              Matrices.fromNd(new CoupledNewtonInverseRoot(f).inverseRoot(nd, 4)), want);
      System.out.printf(
          "n=%d cond=%.0e scale=%.0e  NRE eigh=%.2e newton10=%.2e%n",
          n, condition, scale, eigh, newton);
      assertTrue(eigh < EIGH_TOLERANCE, "eigh NRE " + eigh);
      assertTrue(newton < NEWTON_TOLERANCE, "coupled Newton NRE " + newton);
    }
  }

  @Property(tries = 10, seed = "7")
  void otherRootsMatchEjml(
      @ForAll @IntRange(min = 1, max = 8) int p, @ForAll @IntRange(min = 2, max = 48) int n) {
    DMatrixRMaj a = Reference.withSpectrum(Reference.logSpectrum(n, 30), new Random(n * 31L + p));
    DMatrixRMaj want = Reference.inverseRoot(a, p, 0);
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      NDArray nd = Matrices.toNd(m, a);
      for (InverseRootMethod method :
          new InverseRootMethod[] {new EighInverseRoot(f), new CoupledNewtonInverseRoot(f)}) {
        double nre = MatrixErrors.nre(Matrices.fromNd(method.inverseRoot(nd, p)), want);
        assertTrue(nre < NEWTON_TOLERANCE, method.name() + " p=" + p + " NRE " + nre);
      }
    }
  }

  @Test
  void resultsAreSymmetricAndIntermediatesFreed() {
    DMatrixRMaj a = Reference.withSpectrum(Reference.logSpectrum(32, 100), new Random(5));
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      for (InverseRootMethod method :
          new InverseRootMethod[] {new EighInverseRoot(f), new CoupledNewtonInverseRoot(f, 12)}) {
        try (NDManager sub = m.newSubManager()) {
          NDArray nd = Matrices.toNd(sub, a);
          int before = sub.getManagedArrays().size();
          NDArray root = method.inverseRoot(nd, 4);
          assertEquals(before + 1, sub.getManagedArrays().size(), method.name() + " leaks");
          assertEquals(new Shape(32, 32), root.getShape());
          DMatrixRMaj r = Matrices.fromNd(root);
          for (int i = 0; i < 32; i++) {
            for (int j = 0; j < i; j++) {
              assertEquals(r.get(i, j), r.get(j, i), 0.0, method.name() + " asymmetric");
            }
          }
        }
      }
    }
  }

  @Test
  void eighClampsASingularInputToAFiniteResult() {
    DMatrixRMaj a = Reference.withSpectrum(new double[] {1, 0.5, 0, 0}, new Random(9));
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      float[] root = new EighInverseRoot(f).inverseRoot(Matrices.toNd(m, a), 4).toFloatArray();
      // The floor 1e-7·λmax bounds every root eigenvalue by (1e-7)^(-1/4) ≈ 56.2.
      for (float x : root) {
        assertTrue(Float.isFinite(x) && Math.abs(x) <= 56.3f, "element " + x);
      }
    }
  }

  @Test
  void rejectsBadArguments() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      assertThrows(IllegalArgumentException.class, () -> new CoupledNewtonInverseRoot(f, 0));
      assertThrows(IllegalArgumentException.class, () -> new EighInverseRoot(f, -1));
      assertThrows(NullPointerException.class, () -> new EighInverseRoot(null));
      NDArray eye = m.eye(3);
      assertThrows(
          IllegalArgumentException.class, () -> new EighInverseRoot(f).inverseRoot(eye, 0));
      assertThrows(
          IllegalArgumentException.class,
          () -> new CoupledNewtonInverseRoot(f).inverseRoot(m.ones(new Shape(3, 2)), 4));
      assertEquals("eigh", new EighInverseRoot(f).name());
      assertEquals("coupled-newton-10", new CoupledNewtonInverseRoot(f).name());
    }
  }
}
