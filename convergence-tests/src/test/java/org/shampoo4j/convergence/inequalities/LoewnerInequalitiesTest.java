package org.shampoo4j.convergence.inequalities;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterProperty;
import org.ejml.data.DMatrixRMaj;
import org.shampoo4j.convergence.fixtures.Dense;
import org.shampoo4j.convergence.fixtures.SymmetricEigen;

/**
 * The matrix inequalities the convergence proofs of Shampoo and its perturbed variants use, checked
 * on random PSD pairs {@code A ⪰ B ⪰ 0} ({@code B = X·Xᵀ}, {@code A = B + Y·Yᵀ} with Gaussian X, Y of
 * random rank, and random scale so spectra span several decades):
 *
 * <ul>
 *   <li>Löwner-order monotonicity of {@code t ↦ t^(1/4)} and {@code t ↦ t^(1/2)} (operator monotone
 *       by Löwner–Heinz): {@code A^(1/4) ⪰ B^(1/4)}, {@code A^(1/2) ⪰ B^(1/2)};
 *   <li>its consequence for inverse roots: {@code A ⪰ B ≻ 0 ⇒ B^(−1/4) ⪰ A^(−1/4)};
 *   <li>trace bounds for PSD A, B: {@code 0 ≤ tr(A·B) ≤ ‖A‖₂·tr(B)}.
 * </ul>
 *
 * <p>A control shows the checker can fail: {@code t ↦ t²} is not operator monotone, and a fixed
 * 2×2 pair violates it.
 */
class LoewnerInequalitiesTest {
  private double smallestMargin = Double.POSITIVE_INFINITY;
  private String checked = "";

  /** A ⪰ B ⪰ 0 with spectra spanning several decades. */
  private static DMatrixRMaj[] pair(int n, long seed, boolean definite) {
    Random random = new Random(seed);
    int rankB = definite ? n : 1 + random.nextInt(n);
    int rankD = 1 + random.nextInt(n);
    DMatrixRMaj x = Dense.gaussian(n, rankB, random);
    DMatrixRMaj y = Dense.gaussian(n, rankD, random);
    // Column scales 10^(−3..1) make both factors ill-conditioned.
    scaleColumns(x, random);
    scaleColumns(y, random);
    DMatrixRMaj b = Dense.gram(x);
    DMatrixRMaj a = Dense.combine(1, b, 1, Dense.gram(y));
    return new DMatrixRMaj[] {a, b};
  }

  private static void scaleColumns(DMatrixRMaj m, Random random) {
    for (int j = 0; j < m.numCols; j++) {
      double s = Math.pow(10, -3 + 4 * random.nextDouble());
      for (int i = 0; i < m.numRows; i++) {
        m.set(i, j, m.get(i, j) * s);
      }
    }
  }

  /**
   * The smallest eigenvalue of {@code upper − lower} relative to {@code ‖upper‖₂}: non-negative (up
   * to rounding) exactly when {@code upper ⪰ lower}.
   */
  private static double relativeLoewnerMargin(DMatrixRMaj upper, DMatrixRMaj lower) {
    SymmetricEigen e = Dense.eigh(Dense.minus(upper, lower));
    return e.min() / Dense.spectralNormSymmetric(upper);
  }

  // Eigen-based matrix powers of ill-conditioned matrices lose about 1e-10 relative accuracy in
  // double precision; a genuine violation is of the order of the matrices themselves.
  private static final double ROUNDING = 1e-9;

  /**
   * The rounding level of {@code A^p} relative to {@code ‖A‖^p}: eigenvalues of a singular PSD
   * matrix come out of a double eigensolver as ±(n·ε_mach·‖A‖), and t ↦ t^p maps that to
   * {@code (n·ε_mach)^p·‖A‖^p}, e.g. 1e-3 for p = 1/4 (t^p is only Hölder continuous at 0). We
   * allow 100 times that eigenvalue error.
   */
  private static double powerRounding(int n, double p) {
    return Math.pow(100 * n * Math.ulp(1.0), p);
  }

  @Property(seed = "42")
  void quarterAndHalfPowersAreOperatorMonotone(
      @ForAll @IntRange(min = 2, max = 40) int n, @ForAll long seed) {
    checked = "A^p - B^p, p in {1/4, 1/2}";
    DMatrixRMaj[] ab = pair(n, seed, false);
    for (double p : new double[] {0.25, 0.5}) {
      double margin = relativeLoewnerMargin(Dense.power(ab[0], p), Dense.power(ab[1], p));
      smallestMargin = Math.min(smallestMargin, margin);
      assertTrue(margin >= -powerRounding(n, p),
          () -> String.format("A ⪰ B but A^%s − B^%s has eigenvalue %.3e·‖A^%s‖ (n=%d)", p, p, margin, p, n));
    }
  }

  @Property(seed = "43")
  void inverseQuarterRootReversesTheOrder(
      @ForAll @IntRange(min = 2, max = 40) int n, @ForAll long seed) {
    checked = "B^(-1/4) - A^(-1/4)";
    DMatrixRMaj[] ab = pair(n, seed, true);
    double margin = relativeLoewnerMargin(Dense.power(ab[1], -0.25), Dense.power(ab[0], -0.25));
    smallestMargin = Math.min(smallestMargin, margin);
    assertTrue(margin >= -ROUNDING,
        () -> String.format("A ⪰ B ≻ 0 but B^(−1/4) − A^(−1/4) has eigenvalue %.3e (n=%d)", margin, n));
  }

  @Property(seed = "44")
  void traceOfProductIsBoundedBySpectralNormTimesTrace(
      @ForAll @IntRange(min = 2, max = 40) int n, @ForAll long seed) {
    checked = "(||A||_2 tr(B) - tr(AB)) / (||A||_2 tr(B))";
    DMatrixRMaj[] ab = pair(n, seed, false);
    Random random = new Random(~seed);
    // Use B and an unrelated PSD C so the pair is not ordered.
    DMatrixRMaj c = Dense.gram(Dense.gaussian(n, 1 + random.nextInt(n), random));
    for (DMatrixRMaj[] xy : new DMatrixRMaj[][] {{ab[0], ab[1]}, {c, ab[1]}, {ab[1], c}}) {
      double trXY = Dense.trace(Dense.mult(xy[0], xy[1]));
      double bound = Dense.spectralNormSymmetric(xy[0]) * Dense.trace(xy[1]);
      double slack = 1e-12 * bound;
      assertTrue(trXY >= -slack, () -> String.format("tr(AB) = %.6g < 0 for PSD A, B", trXY));
      assertTrue(trXY <= bound + slack,
          () -> String.format("tr(AB) = %.6g > ‖A‖₂·tr(B) = %.6g", trXY, bound));
      smallestMargin = Math.min(smallestMargin, (bound - trXY) / bound);
    }
  }

  @AfterProperty
  void report() {
    if (smallestMargin == Double.POSITIVE_INFINITY) {
      return;
    }
    System.out.printf("[Loewner] %s: smallest relative margin over all tries %.3e (>= 0 up to rounding)%n",
        checked, smallestMargin);
  }

  @Example
  void squaringIsNotOperatorMonotoneSoTheCheckCanFail() {
    // A ⪰ B ⪰ 0 with A² − B² indefinite: the classic counterexample.
    DMatrixRMaj a = new DMatrixRMaj(new double[][] {{2, 1}, {1, 1}});
    DMatrixRMaj b = new DMatrixRMaj(new double[][] {{1, 0}, {0, 0}});
    double orderMargin = relativeLoewnerMargin(a, b);
    double squareMargin = relativeLoewnerMargin(Dense.power(a, 2), Dense.power(b, 2));
    System.out.printf("[Loewner] control: A − B margin %.3f (ordered), A² − B² margin %.3f (not ordered)%n",
        orderMargin, squareMargin);
    assertTrue(orderMargin >= 0, "A ⪰ B in the control pair");
    assertTrue(squareMargin < -ROUNDING, "the checker detects that t² is not operator monotone");
  }
}
