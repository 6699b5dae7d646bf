package org.shampoo4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.shampoo4j.shampoo.bank.RootUpdates;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;

/**
 * What stacking a bank's refreshes may change, for the stacked-against-alone tests of every
 * representation: the float32 error of a solver on a statistic of condition κ ({@code
 * 64·n·κ·ε}), plus one 4-bit code step (the codebook's largest gap) wherever that rounding
 * carries a value across a threshold; both relative to the result's largest entry.
 */
public final class StackingBounds {
  private static final double EPS32 = Math.ulp(1f);

  private StackingBounds() {}

  /** The relative bound for a result of order {@code n} from a statistic of condition κ. */
  public static double relative(int n, double kappa, float[] codebook) {
    return 64 * n * kappa * EPS32 + (codebook == null ? 0 : largestGap(codebook));
  }

  /**
   * Refreshes the roots of both lists (the same states, one list on a stacked bank, the other on
   * a bank that keeps each block alone) and checks each member's outcome and root.
   *
   * @param orders each member's order
   * @param codebook the 4-bit codebook roots are stored in, or null for fp32 roots
   */
  public static void assertRootsAgree(List<Preconditioner> stacked, List<Preconditioner> alone,
      int[] orders, float[] codebook, NDManager m) {
    List<RejectedUpdateException> stackedOutcomes = RootUpdates.refresh(stacked);
    List<RejectedUpdateException> aloneOutcomes = RootUpdates.refresh(alone);
    for (int i = 0; i < orders.length; i++) {
      assertEquals(aloneOutcomes.get(i) == null, stackedOutcomes.get(i) == null, "member " + i);
      double kappa = condition(alone.get(i).statistic(m));
      assertWithin(alone.get(i).inverseRoot(m).toFloatArray(),
          stacked.get(i).inverseRoot(m).toFloatArray(), relative(orders[i], kappa, codebook),
          "root of member " + i);
    }
  }

  /** Every entry within {@code relative} times the expected array's largest magnitude. */
  public static void assertWithin(float[] expected, float[] actual, double relative,
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
  public static NDArray wellConditionedGram(NDManager m, int order, Random r) {
    float[] x = new float[order * 2 * order];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    NDArray g = m.create(x, new Shape(order, 2L * order));
    return g.matMul(g.transpose()).div(2f * order);
  }

  /** λmax / λmin of a symmetric positive definite matrix, solved in float64. */
  public static double condition(NDArray statistic) {
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
