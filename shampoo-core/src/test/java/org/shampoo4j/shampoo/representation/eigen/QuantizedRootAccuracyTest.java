package org.shampoo4j.shampoo.representation.eigen;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shampoo4j.shampoo.representation.eigen.RepresentationFixtures.*;
import static org.shampoo4j.testing.Matrices.fromNd;
import static org.shampoo4j.testing.Matrices.toNd;
import static org.shampoo4j.testing.MatrixErrors.angleDegrees;
import static org.shampoo4j.testing.MatrixErrors.nre;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveRoot;
import org.shampoo4j.testing.Matrices;

/**
 * docs/algorithms.md §3's claim end to end: on an ill-conditioned statistic (condition 1e4, order 128, so the
 * 4-bit quantizer is active), the inverse root of 4-bit eigen-Björck stays far closer to the fp32
 * one than naive 4-bit Shampoo's, which quantizes the statistic itself. Errors are NRE and angle
 * error (degrees) of {@code (S + eps·λmax·I)^(−1/4)}.
 *
 * <p>Grams share one eigenbasis (random per-update spectra around a log-spaced profile), so the
 * fp32 eigen-Björck recursion can track the exact statistic; each 4-bit variant is compared both
 * with the exact EMA's root and with its own fp32 (lossless) run, which isolates quantization.
 *
 * <p>Measured (seed 2024, 40 updates, Linear-2 / DT, official encoder rules, row blocks): fp32
 * eigen-Björck 0.065 / 3.6° against the exact EMA (the one-step subspace iteration's lag); 4-bit
 * eigen-Björck NRE 0.39 / 0.43 (vs its own fp32 run 0.37 / 0.41), without Björck 0.48 / 0.50, with
 * 8-bit eigenvectors 0.070 / 0.082 (vs its fp32 run 0.017 / 0.038); naive 4-bit 5.5 / 5.3 with our
 * symmetrised, clamped root and 0.63 / 0.64 with the official Schur–Newton root.
 *
 * <p>Why 4-bit eigen-Björck ends well above docs/algorithms.md §3's one-shot table (0.03-0.07 after Björck):
 * the error accumulates over the T1 updates, and that is a property of the recursion itself, which
 * the official code shares (docs/algorithms.md §8), not of a slow subspace iteration. Every update requantizes V,
 * and the next update's {@code β·V̂ᵀ·diag(λ)·V̂} folds that fresh rotation error into the statistic
 * with weight β = 0.95, so the errors of the last ~1/(1−β) updates add up to a steady state. docs/algorithms.md
 * §8 reports that neither a full eigendecomposition per update nor more QR steps remove it, while
 * 8-bit eigenvectors do; the 8-bit row here shows the latter. Asserted: eigen-Björck beats naive
 * (either root) and 8-bit eigenvectors cut the 4-bit error by more than 3×.
 */
class QuantizedRootAccuracyTest {
  private static final int N = 128;
  private static final int UPDATES = 40;
  private static final double EPS = 1e-6;
  private static List<DMatrixRMaj> grams;
  private static DMatrixRMaj exactRoot;

  @BeforeAll
  static void buildStatistics() {
    Random random = new Random(2024);
    DMatrixRMaj u = randomOrthogonal(N, random);
    grams = new ArrayList<>();
    DMatrixRMaj ema = CommonOps_DDRM.identity(N);
    CommonOps_DDRM.scale(EPS, ema);
    for (int k = 0; k < UPDATES; k++) {
      double[] spectrum = new double[N];
      for (int i = 0; i < N; i++) {
        spectrum[i] = Math.pow(10, -4.0 * i / (N - 1)) * (0.5 + random.nextDouble());
      }
      DMatrixRMaj gram = withSpectrum(u, spectrum);
      grams.add(gram);
      CommonOps_DDRM.add(0.95, ema, 0.05, gram, ema);
    }
    exactRoot = inverseRoot(ema, EPS, 4);
  }

  private static DMatrixRMaj run(
      PreconditionerRepresentation representation, NDManager m, TorchScriptMatrixFunctions f,
      long minQuantized) {
    return run(representation, context(m, f, minQuantized), m);
  }

  private static DMatrixRMaj run(
      PreconditionerRepresentation representation, PreconditionerContext ctx, NDManager m) {
    try (NDManager scope = m.newSubManager();
        Preconditioner p = representation.create(N, ctx)) {
      for (DMatrixRMaj gram : grams) {
        try (NDArray g = toNd(scope, gram)) {
          p.accumulate(g);
        }
      }
      p.refreshInverseRoot();
      return fromNd(p.inverseRoot(scope));
    }
  }

  private static double[] report(String what, DMatrixRMaj root, DMatrixRMaj reference) {
    double nre = nre(root, reference);
    double angle = angleDegrees(root, reference);
    System.out.printf("%-48s NRE %.4f  angle %6.2f deg%n", what, nre, angle);
    return new double[] {nre, angle};
  }

  @Test
  void eigenBjorckRootIsMuchCloserThanNaiveOnIllConditionedStatistics() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      long lossless = Long.MAX_VALUE;
      long quantized = 4096;
      DMatrixRMaj eigenFp32 =
          run(EigenBjorckRepresentation.builder(new Linear2Map()).build(), m, f, lossless);
      report("eigen-bjorck fp32 vs exact", eigenFp32, exactRoot);
      for (QuantizationMap map : List.of(new Linear2Map(), new DynamicTreeMap())) {
        DMatrixRMaj eigen = run(EigenBjorckRepresentation.builder(map).build(), m, f, quantized);
        DMatrixRMaj plain = run(EigenBjorckRepresentation.builder(map)
            .statisticBjorckSteps(0).rootBjorckSteps(0).build(), m, f, quantized);
        DMatrixRMaj naive = run(new NaiveQuantizedRepresentation(map), m, f, quantized);
        DMatrixRMaj naiveOfficial = run(new NaiveQuantizedRepresentation(
            map, NaiveRoot.OFFICIAL_SCHUR_NEWTON), m, f, quantized);
        DMatrixRMaj eightBit = run(EigenBjorckRepresentation.builder(map).build(),
            context(m, f, quantized).toBuilder().bits(8).build(), m);
        double[] e = report("eigen-bjorck 4-bit " + map.name() + " vs exact", eigen, exactRoot);
        report("eigen-bjorck 4-bit " + map.name() + " vs its fp32", eigen, eigenFp32);
        report("eigen (no Björck) 4-bit " + map.name() + " vs exact", plain, exactRoot);
        double[] e8 =
            report("eigen-bjorck 8-bit " + map.name() + " vs exact", eightBit, exactRoot);
        report("eigen-bjorck 8-bit " + map.name() + " vs its fp32", eightBit, eigenFp32);
        double[] n = report("naive 4-bit " + map.name() + " vs exact", naive, exactRoot);
        double[] no = report("naive 4-bit, official root, " + map.name() + " vs exact",
            naiveOfficial, exactRoot);
        assertTrue(e[0] < n[0], map.name() + ": eigen NRE " + e[0] + " vs naive " + n[0]);
        assertTrue(e[1] < n[1], map.name() + ": eigen angle " + e[1] + " vs naive " + n[1]);
        assertTrue(e[0] < no[0],
            map.name() + ": eigen NRE " + e[0] + " vs naive (official root) " + no[0]);
        assertTrue(e8[0] < e[0] / 3,
            map.name() + ": 8-bit eigenvectors NRE " + e8[0] + " vs 4-bit " + e[0]);
      }
    }
  }
}
