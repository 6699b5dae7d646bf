package org.shampoo4j.shampoo.representation.eigen;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shampoo4j.shampoo.representation.eigen.RepresentationFixtures.*;
import static org.shampoo4j.testing.Matrices.fromNd;
import static org.shampoo4j.testing.Matrices.toNd;

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
import org.shampoo4j.testing.Matrices;

/**
 * SPEC §3's claim end to end: on an ill-conditioned statistic (condition 1e4, order 128, so the
 * 4-bit quantizer is active), the inverse root of 4-bit eigen-Björck stays far closer to the fp32
 * one than naive 4-bit Shampoo's, which quantizes the statistic itself. Errors are NRE and angle
 * error (degrees) of {@code (S + eps·λmax·I)^(−1/4)}.
 *
 * <p>Grams share one eigenbasis (random per-update spectra around a log-spaced profile), so the
 * fp32 eigen-Björck recursion can track the exact statistic; each 4-bit variant is compared both
 * with the exact EMA's root and with its own fp32 (lossless) run, which isolates quantization.
 *
 * <p>Measured (seed 2024, 60 updates): eigen-Björck NRE ≈ 0.40 (Linear-2) / 0.43 (DT), without
 * Björck ≈ 0.50 / 0.52, naive ≈ 5.5 / 5.1. Eigen-Björck's error is larger than SPEC §3's one-shot
 * table (0.07) because V is requantized at every update and the one-step subspace iteration only
 * pulls it back towards the true eigenbasis at rate ≈ (1−β), so rotation errors accumulate to a
 * steady state. Only the ordering is asserted.
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
    PreconditionerContext ctx = context(m, f, minQuantized);
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
        double[] e = report("eigen-bjorck 4-bit " + map.name() + " vs exact", eigen, exactRoot);
        report("eigen-bjorck 4-bit " + map.name() + " vs its fp32", eigen, eigenFp32);
        report("eigen (no Björck) 4-bit " + map.name() + " vs exact", plain, exactRoot);
        double[] n = report("naive 4-bit " + map.name() + " vs exact", naive, exactRoot);
        assertTrue(e[0] < n[0], map.name() + ": eigen NRE " + e[0] + " vs naive " + n[0]);
        assertTrue(e[1] < n[1], map.name() + ": eigen angle " + e[1] + " vs naive " + n[1]);
      }
    }
  }
}
