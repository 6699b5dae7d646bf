package org.shampoo4j.convergence.optimization;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.shampoo4j.convergence.fixtures.Dense;
import org.shampoo4j.convergence.fixtures.Maps;
import org.shampoo4j.convergence.fixtures.MatrixQuantizer;
import org.shampoo4j.convergence.fixtures.RunSize;
import org.shampoo4j.convergence.reference.ReferenceRepresentation;
import org.shampoo4j.convergence.reference.ReferenceSettings;

/**
 * Convergence to stationarity of Shampoo with each representation, on the EJML reference
 * implementation of the iteration ({@link ShampooReference}: the representation rules of the
 * production code, run in double precision with quant-api's pure-Java quantizer; not the DJL
 * optimizer). Step size {@code η_t = η0/√t}, grafting to ‖G‖ (docs/algorithms.md §1), T1 = 1, T2 = 10,
 * mini-batches of 16.
 *
 * <p>Measures: smooth problems, {@code m_T = min_{t≤T} ‖∇f(W_t)‖²_F} (full gradient, evaluated every
 * 10 steps); theory (stochastic non-convex, η ∝ 1/√t) gives {@code m_T = O(log T/√T)}, whose local
 * log-log slope on our range is at most −0.5 + 1/ln(T) ≈ −0.25. Non-smooth problems: the squared
 * norm of the averaged subgradient {@code ‖mean_{T/2<t≤T} ∂f(W_t)‖²}, which tends to zero as the
 * iterates approach the stationary set.
 *
 * <p>Asserted (stated before measuring; what did not hold is printed and documented, not tuned):
 * <ul>
 *   <li>every representation's measure falls (fitted log-log slope below zero) on every problem;
 *   <li>smooth problems: slope ≤ −0.25 for every representation, on the problems where 32-bit
 *       Shampoo itself is in that regime within the horizon (measured: not logistic regression,
 *       whose slope is −0.10 to −0.15 for all five representations, 32-bit included, at T ≤ 320 and
 *       T ≤ 800:
 *       still in the transient phase at η0 = 0.5);
 *   <li>eigen 4-bit, Cholesky 4-bit and Cholesky + EF 4-bit end within a factor 3 of 32-bit's
 *       measure. Naive 4-bit does NOT: it ends 5x to 23x above 32-bit on least squares and both
 *       networks (it still converges, at a lower rate), so for naive only the decrease is asserted.
 * </ul>
 */
class StationarityConvergenceTest {
  private static final double ETA0 = 0.5;
  private static final int EVERY = 10;
  private static final double SMOOTH_SLOPE = -0.25;
  private static final double FACTOR_OF_32_BIT = 3;

  @TestFactory
  List<DynamicTest> everyRepresentationReachesStationarityAtTheTheoreticalRate() {
    int steps = RunSize.pick(320, 3200);
    ReferenceSettings settings = ReferenceSettings.builder(MatrixQuantizer.fourBit(Maps.linear2())).build();
    List<DynamicTest> tests = new ArrayList<>();
    for (Problem problem : Problems.all(2024)) {
      tests.add(DynamicTest.dynamicTest(problem.name(), () -> check(problem, settings, steps)));
    }
    return tests;
  }

  private static void check(Problem problem, ReferenceSettings settings, int steps) {
    int[] horizons = new int[RunSize.pick(4, 5)];
    for (int k = 0; k < horizons.length; k++) {
      horizons[k] = steps >> (horizons.length - 1 - k);
    }
    Map<ReferenceRepresentation, double[]> measures = new EnumMap<>(ReferenceRepresentation.class);
    StringBuilder table = new StringBuilder();
    table.append(String.format("[Stationarity] %s (%s), T up to %d, %s run; measure: %s%n",
        problem.name(), problem.smooth() ? "smooth" : "non-smooth", steps, RunSize.label(),
        problem.smooth() ? "min_{t<=T} ||grad f||^2" : "||mean_{T/2<t<=T} subgrad f||^2"));
    table.append(String.format("  %-18s", "representation"));
    for (int h : horizons) {
      table.append(String.format(" %11s", "T=" + h));
    }
    table.append(String.format(" %8s %10s %9s%n", "slope", "f(W_T)", "rejected"));
    for (ReferenceRepresentation rep : ReferenceRepresentation.values()) {
      Run run = run(problem, rep, settings, steps);
      double[] m = new double[horizons.length];
      for (int k = 0; k < horizons.length; k++) {
        m[k] = problem.smooth() ? run.minGradNormSquared(horizons[k]) : run.averagedSubgradientSquared(horizons[k]);
      }
      measures.put(rep, m);
      double slope = slope(horizons, m);
      table.append(String.format("  %-18s", rep.label()));
      for (double v : m) {
        table.append(String.format(" %11.3e", v));
      }
      table.append(String.format(" %8.3f %10.4f %9d%n", slope, run.finalLoss, run.rejected));
    }
    System.out.print(table);

    double reference = measures.get(ReferenceRepresentation.FP32)[horizons.length - 1];
    boolean inRateRegime = slope(horizons, measures.get(ReferenceRepresentation.FP32)) <= SMOOTH_SLOPE;
    if (problem.smooth() && !inRateRegime) {
      System.out.printf("  (32-bit Shampoo's slope is above %.2f here: the rate is reported, not asserted)%n",
          SMOOTH_SLOPE);
    }
    for (Map.Entry<ReferenceRepresentation, double[]> e : measures.entrySet()) {
      double slope = slope(horizons, e.getValue());
      double last = e.getValue()[horizons.length - 1];
      String who = problem.name() + " / " + e.getKey().label();
      assertTrue(slope < 0, () -> String.format("%s: the measure does not fall (slope %.3f)", who, slope));
      if (problem.smooth() && inRateRegime) {
        assertTrue(slope <= SMOOTH_SLOPE, () -> String.format(
            "%s: log-log slope of min ||grad||^2 is %.3f, theory needs <= %.2f", who, slope, SMOOTH_SLOPE));
      }
      if (e.getKey() != ReferenceRepresentation.NAIVE_4BIT) {
        assertTrue(last <= FACTOR_OF_32_BIT * reference, () -> String.format(
            "%s: final measure %.3e is over %.0fx 32-bit's %.3e", who, last, FACTOR_OF_32_BIT, reference));
      }
    }
  }

  /** Least-squares slope of ln(m) against ln(T). */
  static double slope(int[] t, double[] m) {
    double mx = 0;
    double my = 0;
    for (int k = 0; k < t.length; k++) {
      mx += Math.log(t[k]);
      my += Math.log(m[k]);
    }
    mx /= t.length;
    my /= t.length;
    double sxy = 0;
    double sxx = 0;
    for (int k = 0; k < t.length; k++) {
      double dx = Math.log(t[k]) - mx;
      sxy += dx * (Math.log(m[k]) - my);
      sxx += dx * dx;
    }
    return sxy / sxx;
  }

  private static Run run(Problem problem, ReferenceRepresentation rep, ReferenceSettings settings, int steps) {
    Random random = new Random(99);
    DMatrixRMaj w = problem.initial();
    ShampooReference shampoo = new ShampooReference(rep, settings, w.numRows, w.numCols, 1, 10, true);
    Run run = new Run();
    for (int t = 1; t <= steps; t++) {
      DMatrixRMaj g = problem.stochasticGradient(w, random);
      DMatrixRMaj p = shampoo.direction(g);
      w = Dense.combine(1, w, -ETA0 / Math.sqrt(t), p);
      if (t % EVERY == 0) {
        run.record(t, problem.fullGradient(w));
      }
    }
    run.finalLoss = problem.loss(w);
    run.rejected = shampoo.rejectedUpdates();
    return run;
  }

  /** The full (sub)gradients recorded at checkpoints of one run. */
  private static final class Run {
    private final List<Integer> times = new ArrayList<>();
    private final List<DMatrixRMaj> gradients = new ArrayList<>();
    private double finalLoss;
    private long rejected;

    void record(int t, DMatrixRMaj fullGradient) {
      times.add(t);
      gradients.add(fullGradient);
    }

    double minGradNormSquared(int horizon) {
      double best = Double.POSITIVE_INFINITY;
      for (int k = 0; k < times.size() && times.get(k) <= horizon; k++) {
        double n = Dense.frobenius(gradients.get(k));
        best = Math.min(best, n * n);
      }
      return best;
    }

    double averagedSubgradientSquared(int horizon) {
      DMatrixRMaj sum = null;
      int count = 0;
      for (int k = 0; k < times.size(); k++) {
        int t = times.get(k);
        if (t > horizon / 2 && t <= horizon) {
          sum = sum == null ? gradients.get(k).copy() : Dense.combine(1, sum, 1, gradients.get(k));
          count++;
        }
      }
      double n = Dense.frobenius(sum) / count;
      return n * n;
    }
  }
}
