package org.shampoo4j.shampoo.bank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;
import org.shampoo4j.shampoo.representation.eigen.RepresentationFixtures;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;

/**
 * The bank stacked (the blocks of one order as one stack, as it runs on a GPU) against each block
 * alone, on the CPU, from the same states: the same outcomes, and every new inverse root within
 * what stacking can change. Stacked kernels round differently, so a root may move by the float32
 * error of an eigensolver on a statistic of condition κ (c·n·κ·ε·max|R|, c = 64); a stored 4-bit
 * root may in addition move one code step wherever that rounding carries a value across a
 * threshold (the codebook's largest gap times the block's scale, at most max|R|). Each block alone
 * is bit for bit the per-block path ({@link BatchedStatisticsTest}).
 */
class StackedBankTest {
  private static final double EPS32 = Math.ulp(1f);

  @Property(tries = 9, seed = "17")
  void stackedRootsAgreeWithEachBlockAlone(
      @ForAll @IntRange(min = 0, max = 2) int representationIndex,
      @ForAll @IntRange(min = 2, max = 6) int members,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    PreconditionerRepresentation representation = switch (representationIndex) {
      case 0 -> new FullMatrixRepresentation();
      case 1 -> new NaiveQuantizedRepresentation(new Linear2Map());
      default -> EigenBjorckRepresentation.builder(new Linear2Map()).build();
    };
    boolean quantized = representationIndex != 0;
    double gap = quantized ? largestGap(new Linear2Map().codebook(4).values()) : 0;
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels stackedBank = new BankKernels(m, true);
        BankKernels aloneBank = new BankKernels(m, false)) {
      assertTrue(stackedBank.stacked());
      assertFalse(aloneBank.stacked());
      PreconditionerContext base = RepresentationFixtures.context(m, f, 16);
      PreconditionerContext stackedContext = base.toBuilder().bank(stackedBank).build();
      PreconditionerContext aloneContext = base.toBuilder().bank(aloneBank).build();
      Random r = new Random(seed);
      List<Preconditioner> stacked = new ArrayList<>();
      List<Preconditioner> alone = new ArrayList<>();
      int[] orders = new int[members];
      for (int i = 0; i < members; i++) {
        // Several members per order, so that the stacks hold more than one block.
        orders[i] = new int[] {8, 12, 16}[r.nextInt(3)];
        Preconditioner a = representation.create(orders[i], aloneContext);
        a.accumulate(gram(m, orders[i], r));
        Preconditioner s = representation.create(orders[i], stackedContext);
        s.restoreState(a.saveState());
        alone.add(a);
        stacked.add(s);
      }
      List<RejectedUpdateException> stackedOutcomes = RootUpdates.refresh(stacked);
      List<RejectedUpdateException> aloneOutcomes = RootUpdates.refresh(alone);
      for (int i = 0; i < members; i++) {
        assertEquals(aloneOutcomes.get(i) == null, stackedOutcomes.get(i) == null, "member " + i);
        float[] expected = alone.get(i).inverseRoot(m).toFloatArray();
        float[] actual = stacked.get(i).inverseRoot(m).toFloatArray();
        double largest = 0;
        for (float v : expected) {
          largest = Math.max(largest, Math.abs(v));
        }
        double kappa = condition(alone.get(i).statistic(m));
        double bound = (64 * orders[i] * kappa * EPS32 + gap) * largest;
        for (int j = 0; j < expected.length; j++) {
          double diff = Math.abs(expected[j] - actual[j]);
          assertTrue(diff <= bound, "member " + i + " entry " + j + ": " + expected[j] + " vs "
              + actual[j] + " (bound " + bound + ", κ " + kappa + ")");
        }
      }
      stacked.forEach(Preconditioner::close);
      alone.forEach(Preconditioner::close);
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
    for (int i = 0; i < a.numRows; i++) {
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
