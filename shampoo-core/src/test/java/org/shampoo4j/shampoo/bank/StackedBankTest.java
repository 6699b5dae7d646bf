package org.shampoo4j.shampoo.bank;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;
import org.shampoo4j.shampoo.representation.eigen.RepresentationFixtures;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;
import org.shampoo4j.testing.StackingBounds;

/**
 * The bank stacked (the blocks of one order as one stack, as it runs on a GPU) against each block
 * alone, on the CPU, from the same states: the same outcomes, and every new inverse root within
 * what stacking can change ({@link StackingBounds}: the solvers' float32 error on a statistic of
 * condition κ, plus one code step for a 4-bit root). Each block alone is bit for bit the
 * per-block path ({@link BatchedStatisticsTest}).
 */
class StackedBankTest {

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
    float[] codebook = representationIndex == 0 ? null : new Linear2Map().codebook(4).values();
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
        a.accumulate(StackingBounds.wellConditionedGram(m, orders[i], r));
        Preconditioner s = representation.create(orders[i], stackedContext);
        s.restoreState(a.saveState());
        alone.add(a);
        stacked.add(s);
      }
      StackingBounds.assertRootsAgree(stacked, alone, orders, codebook, m);
      stacked.forEach(Preconditioner::close);
      alone.forEach(Preconditioner::close);
    }
  }
}
