package org.shampoo4j.convergence.perturbation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.constraints.IntRange;
import org.ejml.data.DMatrixRMaj;
import org.shampoo4j.convergence.fixtures.Dense;
import org.shampoo4j.convergence.fixtures.SpdFamilies;
import org.shampoo4j.convergence.fixtures.SpdMatrix;
import org.shampoo4j.testing.MatrixErrors;

/**
 * Lemma 1 of the 4-bit Shampoo paper (docs/algorithms.md §3): for {@code A = U·Λ·Uᵀ} positive definite and an
 * orthogonal perturbation {@code U + ΔU}, with {@code ‖Δu_i‖ ≤ α} for every column the normalized
 * error of {@code (U+ΔU)·Λ^s·(U+ΔU)ᵀ} against {@code A^s} is at most 2α, and with
 * {@code ⟨u_i, u_i + Δu_i⟩ ≥ 1 − β} their Frobenius cosine is at least {@code (1 − β)²}.
 *
 * <p>Random PD matrices: geometric spectra with condition numbers 10 to 1e8 and Haar-random U;
 * perturbations: Cayley transforms of small skew matrices or products of small Givens rotations;
 * powers s ∈ {−1/4, −1/2, 1/2}.
 */
class Lemma1PropertiesTest {
  // jqwik makes one instance per property, so these gather the worst case over its tries.
  private double worstErrorRatio;
  private double worstCosineMargin = Double.POSITIVE_INFINITY;

  @Provide
  Arbitrary<Double> exponents() {
    return Arbitraries.of(-0.25, -0.5, 0.5);
  }

  @Provide
  Arbitrary<Double> conditions() {
    return Arbitraries.of(1e1, 1e3, 1e5, 1e8);
  }

  @Provide
  Arbitrary<Double> sizes() {
    return Arbitraries.of(1e-4, 1e-3, 1e-2, 5e-2);
  }

  @Property(seed = "42")
  void normalizedErrorAndCosineObeyLemma1(
      @ForAll @IntRange(min = 4, max = 48) int n,
      @ForAll("exponents") double s,
      @ForAll("conditions") double kappa,
      @ForAll("sizes") double size,
      @ForAll boolean givens,
      @ForAll long seed) {
    Random random = new Random(seed);
    SpdMatrix a = SpdFamilies.geometric(n, kappa, random);
    DMatrixRMaj u = a.eigen().vectors();
    DMatrixRMaj q = givens
        ? OrthogonalPerturbations.givensProduct(n, 2 * n, size * 4, random)
        : OrthogonalPerturbations.cayley(n, size, random);
    DMatrixRMaj perturbed = Dense.mult(u, q);

    double alpha = 0;
    double minInner = Double.POSITIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      double[] ui = Dense.column(u, i);
      double[] pi = Dense.column(perturbed, i);
      double d2 = 0;
      double inner = 0;
      for (int k = 0; k < n; k++) {
        d2 += (pi[k] - ui[k]) * (pi[k] - ui[k]);
        inner += ui[k] * pi[k];
      }
      alpha = Math.max(alpha, Math.sqrt(d2));
      minInner = Math.min(minInner, inner);
    }
    double[] lambdaS = new double[n];
    for (int i = 0; i < n; i++) {
      lambdaS[i] = Math.pow(a.eigen().values()[i], s);
    }
    DMatrixRMaj exact = Dense.fromEigen(u, lambdaS);
    DMatrixRMaj approx = Dense.fromEigen(perturbed, lambdaS);
    double nre = MatrixErrors.nre(approx, exact);
    double cosine = Dense.cosine(approx, exact);

    // Relative rounding slack of double-precision products of order n.
    double slack = 1e-10;
    double twoAlpha = 2 * alpha;
    assertTrue(nre <= twoAlpha + slack,
        () -> String.format("NRE %.6g exceeds 2α = %.6g (n=%d, s=%s, κ=%.0e)", nre, twoAlpha, n, s, kappa));
    assertTrue(minInner > 0, "perturbations are small: every ⟨u_i, u_i+Δu_i⟩ stays positive");
    double bound = minInner * minInner;
    worstErrorRatio = Math.max(worstErrorRatio, nre / twoAlpha);
    assertTrue(cosine >= bound - slack,
        () -> String.format("cosine %.9f below (1−β)² = %.9f (n=%d, s=%s)", cosine, bound, n, s));
    worstCosineMargin = Math.min(worstCosineMargin, cosine - bound);
  }

  @AfterProperty
  void report() {
    System.out.printf("[Lemma 1] largest NRE/(2α) over all tries: %.4f (bound: 1); "
        + "smallest cosine − (1−β)²: %.3g (bound: 0)%n", worstErrorRatio, worstCosineMargin);
  }
}
