package org.shampoo4j.convergence.optimization;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;
import org.shampoo4j.convergence.fixtures.Dense;
import org.shampoo4j.convergence.fixtures.Maps;
import org.shampoo4j.convergence.fixtures.MatrixQuantizer;
import org.shampoo4j.convergence.fixtures.RunSize;
import org.shampoo4j.convergence.reference.ReferenceRepresentation;
import org.shampoo4j.convergence.reference.ReferenceSettings;

/**
 * Online convex optimization (Theorem 1 of the 4-bit Shampoo paper, docs/algorithms.md §3): Shampoo whose
 * preconditioners are perturbed, here by each 4-bit representation, keeps an O(√T) regret.
 *
 * <p>Setting: the original online Shampoo on the EJML reference ({@link ShampooReference}):
 * statistics are plain sums {@code L_t = eps·I + Σ G·Gᵀ} (the analysis' form, not the EMA), roots
 * refreshed every step, no grafting, fixed step η = 1, W0 = 0. Round t reveals
 * {@code f_t(W) = (1/8)·Σ_{4 samples} ‖W·x − y‖²} with x from the ill-conditioned input
 * distribution of {@link Problems} and {@code y = W*·x + 0.1·noise}. Regret against the best fixed
 * W in hindsight for each prefix (closed form by normal equations).
 *
 * <p>Asserted: for every representation {@code R_T/√T} at the last horizon is at most 1.5 times
 * its largest value at the earlier horizons (bounded, no upward trend).
 *
 * <p>Measured (CI run, T ≤ 320 while the suite was written; the CI run now stops at 240): R_T/√T falls steadily for 32-bit, eigen 4-bit and both Cholesky
 * states; for naive 4-bit it creeps up (782 → 1405) while staying under the 1.5x bound. A second
 * claim stated before measuring, "every 4-bit representation's regret within 3x of 32-bit's", does
 * NOT hold and is only printed: the 4-bit states pay a large early regret (7x to 18x 32-bit's at
 * T = 320, naive about 160x), because the summed statistic starts at eps·I = 1e-6·I, so early
 * statistics are extremely ill-conditioned and 4-bit errors in their inverse roots (up to
 * eps^(−1/4) ≈ 32) move the iterate far; the gap shrinks as T grows.
 */
class OnlineRegretTest {
  private static final int DIM = Problems.DIM;
  private static final int PER_ROUND = 4;
  private static final double ETA = 1.0;

  @Test
  void regretOverRootTStaysBoundedForEveryRepresentation() {
    int rounds = RunSize.pick(240, 2560);
    int[] horizons = {rounds / 8, rounds / 4, rounds / 2, rounds};
    ReferenceSettings settings = ReferenceSettings.builder(MatrixQuantizer.fourBit(Maps.linear2())).sum().build();
    System.out.printf("[Online regret] least-squares stream, 64x64 W, sum statistics, T2 = 1, eta = %.1f (%s run)%n",
        ETA, RunSize.label());
    StringBuilder header = new StringBuilder(String.format("  %-18s", "R_T/sqrt(T)"));
    for (int h : horizons) {
      header.append(String.format(" %10s", "T=" + h));
    }
    System.out.println(header);
    Map<ReferenceRepresentation, double[]> ratios = new EnumMap<>(ReferenceRepresentation.class);
    for (ReferenceRepresentation rep : ReferenceRepresentation.values()) {
      double[] ratio = regretOverRootT(rep, settings, horizons);
      ratios.put(rep, ratio);
      StringBuilder line = new StringBuilder(String.format("  %-18s", rep.label()));
      for (double r : ratio) {
        line.append(String.format(" %10.4f", r));
      }
      System.out.println(line);
    }
    double fp32Final = ratios.get(ReferenceRepresentation.FP32)[horizons.length - 1];
    for (Map.Entry<ReferenceRepresentation, double[]> e : ratios.entrySet()) {
      double[] ratio = e.getValue();
      String who = e.getKey().label();
      double earlier = Math.max(Math.max(ratio[0], ratio[1]), ratio[2]);
      double last = ratio[ratio.length - 1];
      assertTrue(last <= 1.5 * earlier, () -> String.format(
          "%s: R_T/sqrt(T) grows: %.4f at T=%d vs at most %.4f before", who, last, rounds, earlier));
      System.out.printf("  %-18s final R_T/sqrt(T) = %.1fx 32-bit's%n", who, last / fp32Final);
    }
  }

  private static double[] regretOverRootT(ReferenceRepresentation rep, ReferenceSettings settings, int[] horizons) {
    Random data = new Random(31);
    DMatrixRMaj teacher = Dense.scale(1 / Math.sqrt(DIM), Dense.gaussian(DIM, DIM, data));
    double[] sd = new double[DIM];
    for (int k = 0; k < DIM; k++) {
      sd[k] = Math.pow(0.1, (double) k / (DIM - 1));
    }
    ShampooReference shampoo = new ShampooReference(rep, settings, DIM, DIM, 1, 1, false);
    DMatrixRMaj w = new DMatrixRMaj(DIM, DIM);
    DMatrixRMaj sxx = new DMatrixRMaj(DIM, DIM);
    DMatrixRMaj sxy = new DMatrixRMaj(DIM, DIM);
    double syy = 0;
    double online = 0;
    double[] out = new double[horizons.length];
    int next = 0;
    for (int t = 1; t <= horizons[horizons.length - 1]; t++) {
      DMatrixRMaj x = Dense.gaussian(DIM, PER_ROUND, data);
      for (int k = 0; k < DIM; k++) {
        for (int i = 0; i < PER_ROUND; i++) {
          x.set(k, i, x.get(k, i) * sd[k]);
        }
      }
      DMatrixRMaj y = Dense.combine(1, Dense.mult(teacher, x), 0.1, Dense.gaussian(DIM, PER_ROUND, data));
      DMatrixRMaj r = Dense.minus(Dense.mult(w, x), y);
      online += 0.5 * Dense.dot(r, r) / PER_ROUND;
      CommonOps_DDRM.addEquals(sxx, 1.0 / PER_ROUND, Dense.multTransB(x, x));
      CommonOps_DDRM.addEquals(sxy, 1.0 / PER_ROUND, Dense.multTransB(y, x));
      syy += Dense.dot(y, y) / PER_ROUND;
      DMatrixRMaj g = Dense.scale(1.0 / PER_ROUND, Dense.multTransB(r, x));
      w = Dense.combine(1, w, -ETA, shampoo.direction(g));
      if (t == horizons[next]) {
        out[next] = (online - bestInHindsight(sxx, sxy, syy)) / Math.sqrt(t);
        next++;
      }
    }
    return out;
  }

  /** {@code min_W ½·tr(W·Sxx·Wᵀ) − tr(W·Sxyᵀ) + ½·Syy = ½·(Syy − tr(Sxy·Sxx⁻¹·Sxyᵀ))}. */
  private static double bestInHindsight(DMatrixRMaj sxx, DMatrixRMaj sxy, double syy) {
    DMatrixRMaj solved = new DMatrixRMaj(DIM, DIM);
    // W* = Sxy·Sxx⁻¹, i.e. Sxx·W*ᵀ = Sxyᵀ (Sxx symmetric).
    if (!CommonOps_DDRM.solve(sxx, Dense.transpose(sxy), solved)) {
      throw new IllegalStateException("input covariance is singular");
    }
    return 0.5 * (syy - Dense.dot(Dense.transpose(sxy), solved));
  }
}
