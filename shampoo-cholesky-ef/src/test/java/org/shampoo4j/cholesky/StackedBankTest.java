package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.RootUpdates;
import org.shampoo4j.shampoo.bank.StatisticUpdates;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;

/**
 * The Cholesky factor update and root refresh with the bank stacked (the blocks of one order as
 * one stack, as on a GPU) against each block alone, on the CPU, from the same states: the same
 * outcomes, and factors and roots within what stacking can change: the float32 error of a
 * factorisation or eigensolver on a statistic of condition κ (64·n·κ·ε times the largest entry),
 * plus one 4-bit code step (the codebook's largest gap times the largest entry) wherever that
 * rounding carries a value across a threshold.
 */
class StackedBankTest {
  private static final double EPS32 = Math.ulp(1f);

  @Property(tries = 6, seed = "29")
  void stackedFactorsAndRootsAgreeWithEachBlockAlone(
      @ForAll boolean errorFeedback,
      @ForAll @IntRange(min = 2, max = 5) int members,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    CholeskyEfConfig config = CholeskyEfConfig.builder().errorFeedback(errorFeedback).build();
    double gap = largestGap(Fixtures.LINEAR2.codebook(4).values());
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels stackedBank = new BankKernels(m, true);
        BankKernels aloneBank = new BankKernels(m, false)) {
      PreconditionerContext base = Fixtures.context(m, f, 100).build();
      PreconditionerContext stackedContext = base.toBuilder().bank(stackedBank).build();
      PreconditionerContext aloneContext = base.toBuilder().bank(aloneBank).build();
      Random r = new Random(seed);
      List<Preconditioner> stacked = new ArrayList<>();
      List<Preconditioner> alone = new ArrayList<>();
      List<NDArray> grams = new ArrayList<>();
      int[] orders = new int[members];
      for (int i = 0; i < members; i++) {
        orders[i] = new int[] {12, 17}[r.nextInt(2)];
        stacked.add(Fixtures.create(orders[i], stackedContext, config));
        alone.add(Fixtures.create(orders[i], aloneContext, config));
        grams.add(gram(m, orders[i], r));
      }
      List<RejectedUpdateException> stackedT1 = StatisticUpdates.accumulate(stacked, grams);
      List<RejectedUpdateException> aloneT1 = StatisticUpdates.accumulate(alone, grams);
      for (int i = 0; i < members; i++) {
        assertEquals(aloneT1.get(i) == null, stackedT1.get(i) == null, "member " + i);
        CholeskyEfPreconditioner a = (CholeskyEfPreconditioner) alone.get(i);
        CholeskyEfPreconditioner s = (CholeskyEfPreconditioner) stacked.get(i);
        double kappa = condition(a.statistic(m));
        assertWithin(a.factor(m).toFloatArray(), s.factor(m).toFloatArray(),
            64 * orders[i] * kappa * EPS32 + gap, "factor of member " + i);
        // The roots from the same state: the alone member's.
        s.restoreState(a.saveState());
      }
      List<RejectedUpdateException> stackedT2 = RootUpdates.refresh(stacked);
      List<RejectedUpdateException> aloneT2 = RootUpdates.refresh(alone);
      for (int i = 0; i < members; i++) {
        assertEquals(aloneT2.get(i) == null, stackedT2.get(i) == null, "member " + i);
        double kappa = condition(alone.get(i).statistic(m));
        assertWithin(alone.get(i).inverseRoot(m).toFloatArray(),
            stacked.get(i).inverseRoot(m).toFloatArray(),
            64 * orders[i] * kappa * EPS32 + gap, "root of member " + i);
      }
      stacked.forEach(Preconditioner::close);
      alone.forEach(Preconditioner::close);
    }
  }

  /** Every entry within {@code relative} times the expected array's largest magnitude. */
  private static void assertWithin(float[] expected, float[] actual, double relative,
      String what) {
    assertEquals(expected.length, actual.length, what);
    double largest = 0;
    for (float v : expected) {
      largest = Math.max(largest, Math.abs(v));
    }
    double bound = relative * largest;
    for (int j = 0; j < expected.length; j++) {
      double diff = Math.abs(expected[j] - actual[j]);
      assertTrue(diff <= bound, what + " entry " + j + ": " + expected[j] + " vs " + actual[j]
          + " (bound " + bound + ")");
    }
  }

  /** A full-rank Gram matrix X·Xᵀ/(2n) of an n × 2n Gaussian X (condition about 30). */
  private static NDArray gram(NDManager m, int order, Random r) {
    float[] x = new float[order * 2 * order];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    NDArray g = m.create(x, new Shape(order, 2L * order));
    return g.matMul(g.transpose()).div(2f * order);
  }

  /** λmax / λmin of a symmetric positive definite matrix, solved in float64. */
  private static double condition(NDArray statistic) {
    int n = (int) statistic.getShape().get(0);
    float[] entries = statistic.toFloatArray();
    DMatrixRMaj a = new DMatrixRMaj(n, n);
    for (int i = 0; i < entries.length; i++) {
      a.data[i] = entries[i];
    }
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false, true);
    if (!eig.decompose(a)) {
      throw new IllegalStateException("no eigendecomposition");
    }
    double min = Double.MAX_VALUE;
    double max = 0;
    for (int i = 0; i < n; i++) {
      double v = eig.getEigenvalue(i).getReal();
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    return max / min;
  }

  private static double largestGap(float[] values) {
    double gap = 0;
    for (int i = 1; i < values.length; i++) {
      gap = Math.max(gap, Math.abs(values[i] - values[i - 1]));
    }
    return gap;
  }
}
