package org.shampoo4j.convergence.errortable;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.shampoo4j.convergence.fixtures.Dense;
import org.shampoo4j.convergence.fixtures.InverseRootApproximations;
import org.shampoo4j.convergence.fixtures.Maps;
import org.shampoo4j.convergence.fixtures.MatrixQuantizer;
import org.shampoo4j.convergence.fixtures.RunSize;
import org.shampoo4j.convergence.fixtures.SpdFamilies;
import org.shampoo4j.convergence.fixtures.SpdMatrix;
import org.shampoo4j.convergence.fixtures.SymmetricEigen;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.testing.MatrixErrors;

/**
 * The 4-bit Shampoo paper's error table (docs/algorithms.md §3): NRE and angle error of {@code A^(−1/4)} for
 * {quantize A, quantize U, U + Björck} × {Linear-2, DT}, B = 64, on a "real" statistic (EMA of
 * gradient outer products of a small network, see {@link SpdFamilies#gradientStatistic}) and a
 * synthetic one (geometric spectrum, κ = 1e4, see {@link SpdFamilies#geometric}). Order 256 in the
 * CI run, the paper's 1200 in the thorough run. The table is printed next to the paper's numbers.
 *
 * <p>Rows (see {@link InverseRootApproximations}; docs/algorithms.md §8 explains the variants):
 *
 * <ul>
 *   <li>{@code A clamp}: our root of the dequantized A, negative eigenvalues clamped to 0 before
 *       the ridge (they then get the largest weight of all).
 *   <li>{@code A |λ|}: the same with negative eigenvalues reflected, {@code (|λ| + ridge)^(−1/4)}.
 *   <li>{@code A official}: the official code's Schur–Newton root of the unsymmetrised dequantized
 *       A (power-iteration ridge, 10 steps), what its naive baseline computes.
 *   <li>{@code U}: the exact root of the rebuilt {@code V̂ᵀ·diag(λ)·V̂}, which is what the paper's
 *       "U" row measures.
 *   <li>{@code U direct}: {@code V̂ᵀ·diag((λ + ridge)^(−1/4))·V̂}, what the optimizer computes
 *       from unorthogonalised eigenvectors (no paper number).
 *   <li>{@code U+Bjorck}: the optimizer's direct formula after 4 Björck steps.
 *   <li>{@code U+Bjorck rebuilt}: the exact root of the statistic rebuilt after 4 Björck steps;
 *       with V̂ orthogonal again it agrees with the direct formula.
 * </ul>
 *
 * <p>Measured at n = 1200 (thorough run; Linear-2, real / synthetic, NRE / angle): U 0.0535 /
 * 3.06° and 0.0862 / 4.92° (paper 0.0543 / 3.11° and 0.0942 / 5.40°), U direct 0.157 / 8.9° and
 * 0.152 / 8.7°, U + Björck 0.0347 / 1.99° and 0.0580 / 3.32° (paper 0.0343 / 1.95° and 0.0669 /
 * 3.82°); A clamp 0.709 / 40.1° and 2.81 / 42.9°, A |λ| 0.790 / 26.0° and 0.510 / 26.7°, A
 * official 0.854 / 19.1° and 0.568 / 24.0° (paper 0.624 / 17.3° and 0.447 / 15.3°). The dequantized
 * A has 589 (real) and 301 (synthetic) negative eigenvalues. At n = 256 the orderings are the same.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InverseRootErrorTableTest {
  /** The paper's numbers (NRE, AE°) by row key and matrix: real A1 then synthetic A2. */
  private static final Map<String, double[]> PAPER = Map.of(
      "A/Linear-2", new double[] {0.6243, 17.29, 0.4465, 15.34},
      "U/Linear-2", new double[] {0.0543, 3.11, 0.0942, 5.40},
      "U+Bjorck/Linear-2", new double[] {0.0343, 1.95, 0.0669, 3.82},
      "U+Bjorck/DT", new double[] {0.0455, 2.56, 0.0878, 5.00});

  /** The row labels, in print order; each A variant is compared with the paper's one A row. */
  private static final String[] METHODS =
      {"A clamp", "A |λ|", "A official", "U", "U direct", "U+Bjorck", "U+Bjorck rebuilt"};

  private final Map<String, double[]> measured = new LinkedHashMap<>();
  private final Map<String, int[]> negatives = new LinkedHashMap<>();
  private final Map<SpdMatrix, DMatrixRMaj> exacts = new IdentityHashMap<>();
  private SpdMatrix real;
  private SpdMatrix synthetic;

  @BeforeAll
  void measure() {
    int n = RunSize.pick(256, 1200);
    real = SpdFamilies.gradientStatistic(n, 300, new Random(11));
    synthetic = SpdFamilies.geometric(n, 1e4, new Random(12));
    for (QuantizationMap map : Maps.both()) {
      MatrixQuantizer q = MatrixQuantizer.fourBit(map);
      String name = Maps.shortName(map);
      int[] negative = new int[2];
      int col = 0;
      for (SpdMatrix a : new SpdMatrix[] {real, synthetic}) {
        DMatrixRMaj exact = exacts.computeIfAbsent(a, x -> InverseRootApproximations.exact(x, -0.25));
        DMatrixRMaj storedA = InverseRootApproximations.quantizedA(a, q);
        SymmetricEigen storedEigen = Dense.eigh(storedA);
        negative[col / 2] = InverseRootApproximations.negativeEigenvalues(storedEigen);
        // V̂ and its Björck-ed copy once per matrix: at n = 1200 each costs seconds.
        DMatrixRMaj v = InverseRootApproximations.quantizedEigenvectorRows(a, q);
        DMatrixRMaj vb = Dense.bjorck(v, 4);
        double[] lambda = InverseRootApproximations.fp32Eigenvalues(a);
        for (String method : METHODS) {
          DMatrixRMaj approx = switch (method) {
            case "A clamp" -> InverseRootApproximations.clampedRoot(storedEigen, -0.25);
            case "A |λ|" -> InverseRootApproximations.absoluteRoot(storedEigen, -0.25);
            case "A official" -> InverseRootApproximations.officialRoot(storedA, 4);
            case "U" -> InverseRootApproximations.rebuiltRoot(v, lambda, -0.25);
            case "U direct" -> InverseRootApproximations.fromEigenvectorRows(v, lambda, -0.25);
            case "U+Bjorck" -> InverseRootApproximations.fromEigenvectorRows(vb, lambda, -0.25);
            case "U+Bjorck rebuilt" -> InverseRootApproximations.rebuiltRoot(vb, lambda, -0.25);
            default -> throw new IllegalStateException(method);
          };
          double[] row = measured.computeIfAbsent(method + "/" + name, k -> new double[4]);
          row[col] = MatrixErrors.nre(approx, exact);
          row[col + 1] = MatrixErrors.angleDegrees(approx, exact);
        }
        col += 2;
      }
      negatives.put(name, negative);
    }
    print(n);
  }

  private void print(int n) {
    System.out.printf("[Error table] A^(-1/4), n=%d, 4-bit, B=64 inside rows (%s run; paper: n=1200)%n", n, RunSize.label());
    System.out.printf("  A1 = %s, cond %.2e%n", real.description(), real.condition());
    System.out.printf("  A2 = %s, cond %.2e%n", synthetic.description(), synthetic.condition());
    for (Map.Entry<String, int[]> e : negatives.entrySet()) {
      System.out.printf("  negative eigenvalues of the dequantized A (%s): real %d, synthetic %d%n",
          e.getKey(), e.getValue()[0], e.getValue()[1]);
    }
    System.out.printf("  %-25s | %-17s %-17s | %-17s %-17s%n", "quantized / map",
        "real: ours", "real: paper", "synth: ours", "synth: paper");
    for (Map.Entry<String, double[]> e : measured.entrySet()) {
      double[] m = e.getValue();
      double[] p = PAPER.get(e.getKey().startsWith("A ")
          ? "A/" + e.getKey().substring(e.getKey().indexOf('/') + 1) : e.getKey());
      System.out.printf("  %-25s | %-17s %-17s | %-17s %-17s%n", e.getKey(),
          cell(m[0], m[1]), p == null ? "-" : cell(p[0], p[1]),
          cell(m[2], m[3]), p == null ? "-" : cell(p[2], p[3]));
    }
  }

  private static String cell(double nre, double angle) {
    return String.format("%.4f / %.2f", nre, angle);
  }

  private double nre(String key, boolean synth) {
    return measured.get(key)[synth ? 2 : 0];
  }

  private double angle(String key, boolean synth) {
    return measured.get(key)[synth ? 3 : 1];
  }

  /** Asserts {@code better < worse} in NRE for both maps and both matrices. */
  private void assertBetter(String better, String worse) {
    for (String map : new String[] {"Linear-2", "DT"}) {
      for (boolean synth : new boolean[] {false, true}) {
        double b = nre(better + "/" + map, synth);
        double w = nre(worse + "/" + map, synth);
        assertTrue(b < w, () -> String.format("%s %s: %s %.4f should beat %s %.4f",
            map, synth ? "synthetic" : "real", better, b, worse, w));
      }
    }
  }

  /** Lemma 2 / Proposition 1: every way of rooting quantized U beats every way of rooting A. */
  @Test
  void quantizingUIsFarMoreAccurateThanQuantizingA() {
    for (String u : new String[] {"U", "U direct", "U+Bjorck"}) {
      for (String a : new String[] {"A clamp", "A |λ|", "A official"}) {
        assertBetter(u, a);
      }
    }
  }

  @Test
  void bjorckImprovesOnPlainQuantizedU() {
    assertBetter("U+Bjorck", "U");
    assertBetter("U+Bjorck", "U direct");
  }

  /**
   * Without Björck the rebuilt statistic's exact root (the paper's "U") is more accurate than the
   * optimizer's direct formula, whose unorthogonal V̂ scales each eigenvalue's weight by ‖v̂ᵢ‖².
   */
  @Test
  void rebuildingTheStatisticBeatsTheDirectFormula() {
    assertBetter("U", "U direct");
  }

  /** Once Björck has made V̂ orthogonal again, the direct formula is the rebuilt root (to 1 %). */
  @Test
  void afterBjorckTheDirectFormulaEqualsTheRebuiltRoot() {
    for (String map : new String[] {"Linear-2", "DT"}) {
      for (boolean synth : new boolean[] {false, true}) {
        double direct = nre("U+Bjorck/" + map, synth);
        double rebuilt = nre("U+Bjorck rebuilt/" + map, synth);
        assertTrue(Math.abs(direct - rebuilt) <= 0.01 * rebuilt, () -> String.format(
            "%s %s: U+Björck direct %.5f vs rebuilt %.5f", map, synth ? "synthetic" : "real",
            direct, rebuilt));
      }
    }
  }

  @Test
  void linear2IsNoWorseThanDynamicTreeForEigenvectors() {
    for (String method : new String[] {"U", "U direct", "U+Bjorck"}) {
      for (boolean synth : new boolean[] {false, true}) {
        double l2 = nre(method + "/Linear-2", synth);
        double dt = nre(method + "/DT", synth);
        assertTrue(l2 <= dt, () -> String.format("%s %s: Linear-2 %.4f vs DT %.4f",
            method, synth ? "synthetic" : "real", l2, dt));
      }
    }
  }

  /**
   * Clamping the dequantized A's negative eigenvalues to 0 is what turns our "A" row's direction
   * furthest from the exact root: the official Schur–Newton root and the reflected |λ| have the
   * smaller angle error everywhere. Not asserted: NRE, where the clamp is the worst on the
   * synthetic matrix but not on the real one at n = 1200 (0.71 against 0.79 and 0.85).
   */
  @Test
  void clampingNegativeEigenvaluesGivesTheLargestAngleError() {
    for (String other : new String[] {"A official", "A |λ|"}) {
      for (String map : new String[] {"Linear-2", "DT"}) {
        for (boolean synth : new boolean[] {false, true}) {
          double o = angle(other + "/" + map, synth);
          double c = angle("A clamp/" + map, synth);
          assertTrue(o < c, () -> String.format("%s %s: %s %.2f° vs clamp %.2f°",
              map, synth ? "synthetic" : "real", other, o, c));
        }
      }
    }
  }

  /**
   * At the paper's order the real statistic's eigenvector rows land within 10 % of the paper's
   * NRE: U (the rebuilt root) and U + Björck for Linear-2, U + Björck for DT. Thorough run only:
   * the paper measured n = 1200. (The synthetic matrix is ours, not the paper's, so its rows are
   * reported, not compared.)
   */
  @Test
  void realMatrixEigenvectorRowsMatchThePaperAtItsOrder() {
    assumeTrue(RunSize.thorough(), "the paper's numbers are for n = 1200 (-Pthorough)");
    for (String key : new String[] {"U/Linear-2", "U+Bjorck/Linear-2", "U+Bjorck/DT"}) {
      double ours = nre(key, false);
      double paper = PAPER.get(key)[0];
      assertTrue(Math.abs(ours - paper) <= 0.1 * paper,
          () -> String.format("%s real: NRE %.4f vs the paper's %.4f", key, ours, paper));
    }
  }
}
