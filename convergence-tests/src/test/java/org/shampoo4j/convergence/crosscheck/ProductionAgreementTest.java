package org.shampoo4j.convergence.crosscheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.shampoo4j.cholesky.CholeskyEfConfig;
import org.shampoo4j.cholesky.CholeskyEfRepresentation;
import org.shampoo4j.convergence.fixtures.Dense;
import org.shampoo4j.convergence.fixtures.GradientStream;
import org.shampoo4j.convergence.fixtures.Maps;
import org.shampoo4j.convergence.fixtures.MatrixQuantizer;
import org.shampoo4j.convergence.reference.ReferencePreconditioner;
import org.shampoo4j.convergence.reference.ReferenceRepresentation;
import org.shampoo4j.convergence.reference.ReferenceSettings;
import org.shampoo4j.linalg.EighInverseRoot;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;
import org.shampoo4j.testing.Matrices;
import org.shampoo4j.testing.MatrixErrors;

/**
 * Cross-check of the production (DJL, fp32) representations against the EJML reference of the same
 * update rules: the same gram sequence (order 64, 12 updates, gradient condition 1e3) goes into
 * both, then the statistic and the refreshed inverse root are compared.
 *
 * <ul>
 *   <li>Lossless (every state fp32): production follows the reference's trajectory up to fp32
 *       rounding: NRE of the statistic ≤ 1e-5, of the inverse root ≤ 1e-4 (measured on the CPU at
 *       most 3.9e-7 and 8.3e-6, Cholesky; fp32 eigendecomposition of a statistic whose smallest
 *       eigenvalues are ~1e-4 of the largest; the former bounds 1e-4 and 1e-2). Not for eigen 4-bit:
 *       its warm-started subspace iteration carries fp32 rounding from update to update through QR
 *       of nearly equal eigenvalues (measured 4e-4 to 9e-4 at 12 to 30 updates), so for it only the error
 *       level below is checked.
 *   <li>Both modes, every representation: the production root's error against the exact fp32
 *       root must be within 1.10x (+0.001) of the reference's (with 4-bit states fp32 rounding can
 *       flip codes at midpoints, so trajectories may part while the error level must not).
 *       Measured on the CPU: ratios 0.98 (Cholesky+EF 4-bit, 0.0253 vs 0.0258) to 1.023 (eigen
 *       4-bit, 0.1157 vs 0.1131); the former 1.5x + 0.01 allowed 0.18 for eigen 4-bit.
 * </ul>
 */
class ProductionAgreementTest {
  private static final int ORDER = 64;
  private static final int UPDATES = 12;

  private record Pair(String name, ReferenceRepresentation reference, PreconditionerRepresentation production) {}

  private static List<Pair> pairs(QuantizationMap map) {
    return List.of(
        new Pair("32-bit", ReferenceRepresentation.FP32, new FullMatrixRepresentation()),
        new Pair("naive 4-bit", ReferenceRepresentation.NAIVE_4BIT, new NaiveQuantizedRepresentation(map)),
        new Pair("eigen 4-bit", ReferenceRepresentation.EIGEN_4BIT, EigenBjorckRepresentation.builder(map).build()),
        new Pair("Cholesky 4-bit", ReferenceRepresentation.CHOLESKY_4BIT, new CholeskyEfRepresentation(map,
            CholeskyEfConfig.builder().errorFeedback(false).build())),
        new Pair("Cholesky+EF 4-bit", ReferenceRepresentation.CHOLESKY_EF_4BIT, new CholeskyEfRepresentation(map,
            CholeskyEfConfig.builder().errorFeedback(true).betaE(0f).build())));
  }

  @Test
  void productionRepresentationsAgreeWithTheEjmlReference() {
    QuantizationMap map = Maps.linear2();
    MatrixQuantizer q = MatrixQuantizer.fourBit(map);
    List<DMatrixRMaj> grams = new ArrayList<>();
    GradientStream stream = new GradientStream(ORDER, 16, 1e3, 77);
    for (int k = 0; k < UPDATES; k++) {
      grams.add(stream.nextGram());
    }
    ReferencePreconditioner exact = ReferenceRepresentation.FP32.create(ORDER,
        ReferenceSettings.builder(q).minQuantizedElements(Long.MAX_VALUE).build());
    grams.forEach(exact::accumulate);
    exact.refreshInverseRoot();

    System.out.printf("[Production vs EJML] order %d, %d updates, Linear-2 4-bit B=64%n", ORDER, UPDATES);
    System.out.printf("  %-18s %-9s %12s %12s %14s %14s%n", "representation", "mode",
        "NRE(S) p/r", "NRE(root) p/r", "prod vs exact", "ref vs exact");
    List<String> failures = new ArrayList<>();
    try (NDManager manager = NDManager.newBaseManager();
        TorchScriptMatrixFunctions functions = new TorchScriptMatrixFunctions(manager)) {
      for (boolean lossless : new boolean[] {true, false}) {
        long min = lossless ? Long.MAX_VALUE : 4096;
        ReferenceSettings settings = ReferenceSettings.builder(q).minQuantizedElements(min).build();
        for (Pair pair : pairs(map)) {
          PreconditionerContext context = PreconditionerContext.builder()
              .label(pair.name())
              .linalg(functions)
              .rootMethod(new EighInverseRoot(functions))
              .manager(manager)
              .minQuantizedElements(min)
              .build();
          ReferencePreconditioner reference = pair.reference().create(ORDER, settings);
          DMatrixRMaj prodStat;
          DMatrixRMaj prodRoot;
          try (NDManager scope = manager.newSubManager();
              Preconditioner production = pair.production().create(ORDER, context)) {
            for (DMatrixRMaj gram : grams) {
              NDArray g = Matrices.toNd(scope, gram);
              production.accumulate(g);
              g.close();
              reference.accumulate(gram);
            }
            production.refreshInverseRoot();
            reference.refreshInverseRoot();
            prodStat = fromNd(production.statistic(scope));
            prodRoot = fromNd(production.inverseRoot(scope));
            assertEquals(0, production.rejectedUpdates(), pair.name() + ": no rejected updates");
          }
          double statAgreement = MatrixErrors.nre(prodStat, reference.statistic());
          double rootAgreement = MatrixErrors.nre(prodRoot, reference.inverseRoot());
          double prodErr = MatrixErrors.nre(prodRoot, exact.inverseRoot());
          double refErr = MatrixErrors.nre(reference.inverseRoot(), exact.inverseRoot());
          System.out.printf("  %-18s %-9s %12.2e %12.2e %14.4f %14.4f%n", pair.name(),
              lossless ? "lossless" : "4-bit", statAgreement, rootAgreement, prodErr, refErr);
          boolean trajectoryChecked = lossless && pair.reference() != ReferenceRepresentation.EIGEN_4BIT;
          if (trajectoryChecked && statAgreement > 1e-5) {
            failures.add(String.format("%s lossless: statistic NRE vs reference %.3e > 1e-5", pair.name(), statAgreement));
          }
          if (trajectoryChecked && rootAgreement > 1e-4) {
            failures.add(String.format("%s lossless: root NRE vs reference %.3e > 1e-4", pair.name(), rootAgreement));
          }
          if (prodErr > 1.10 * refErr + 0.001) {
            failures.add(String.format("%s %s: production root error %.4f vs reference %.4f", pair.name(),
                lossless ? "lossless" : "4-bit", prodErr, refErr));
          }
        }
      }
    }
    assertTrue(failures.isEmpty(), () -> String.join("; ", failures));
  }

  // Reads the production array and frees it: these arrays are temporaries of the comparison.
  private static DMatrixRMaj fromNd(NDArray a) {
    DMatrixRMaj m = Matrices.fromNd(a);
    a.close();
    return m;
  }
}
