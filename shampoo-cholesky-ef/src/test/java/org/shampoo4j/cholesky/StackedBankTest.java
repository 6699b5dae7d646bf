package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.StatisticUpdates;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.shampoo4j.testing.StackingBounds;

/**
 * The Cholesky factor update and root refresh with the bank stacked (the blocks of one order as
 * one stack, as on a GPU) against each block alone, on the CPU, from the same states: the same
 * outcomes, and factors and roots within what stacking can change ({@link StackingBounds}: the
 * float32 error of a factorisation or eigensolver on a statistic of condition κ, plus one 4-bit
 * code step wherever that rounding carries a value across a threshold).
 */
class StackedBankTest {
  @Property(tries = 6, seed = "29")
  void stackedFactorsAndRootsAgreeWithEachBlockAlone(
      @ForAll boolean errorFeedback,
      @ForAll @IntRange(min = 2, max = 5) int members,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    CholeskyEfConfig config = CholeskyEfConfig.builder().errorFeedback(errorFeedback).build();
    float[] codebook = Fixtures.LINEAR2.codebook(4).values();
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
        grams.add(StackingBounds.wellConditionedGram(m, orders[i], r));
      }
      List<RejectedUpdateException> stackedT1 = StatisticUpdates.accumulate(stacked, grams);
      List<RejectedUpdateException> aloneT1 = StatisticUpdates.accumulate(alone, grams);
      for (int i = 0; i < members; i++) {
        assertEquals(aloneT1.get(i) == null, stackedT1.get(i) == null, "member " + i);
        CholeskyEfPreconditioner a = (CholeskyEfPreconditioner) alone.get(i);
        CholeskyEfPreconditioner s = (CholeskyEfPreconditioner) stacked.get(i);
        double kappa = StackingBounds.condition(a.statistic(m));
        StackingBounds.assertWithin(a.factor(m).toFloatArray(), s.factor(m).toFloatArray(),
            StackingBounds.relative(orders[i], kappa, codebook), "factor of member " + i);
        // The roots from the same state: the alone member's.
        s.restoreState(a.saveState());
      }
      StackingBounds.assertRootsAgree(stacked, alone, orders, codebook, m);
      stacked.forEach(Preconditioner::close);
      alone.forEach(Preconditioner::close);
    }
  }
}
