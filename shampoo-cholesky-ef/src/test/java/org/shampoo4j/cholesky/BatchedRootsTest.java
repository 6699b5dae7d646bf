package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import org.shampoo4j.linalg.EighPrecision;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.RootUpdates;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;

/**
 * The batched root refresh ({@link CholeskyRootBatch} through {@link RootUpdates}) against each
 * member's own {@code refreshInverseRoot}: the same stored roots bit for bit, with and without
 * error feedback, for mixed orders (8 keeps fp32 state and refreshes alone) and both eigensolver
 * precisions; the factors (and the error state) are left as they were.
 */
class BatchedRootsTest {

  @Property(tries = 8, seed = "21")
  void batchedRootsEqualPerMemberBitForBit(
      @ForAll boolean errorFeedback,
      @ForAll boolean float32Eigh,
      @ForAll @IntRange(min = 1, max = 4) int members,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    CholeskyEfConfig config = CholeskyEfConfig.builder().errorFeedback(errorFeedback).build();
    EighPrecision precision = float32Eigh ? EighPrecision.FLOAT32 : EighPrecision.FLOAT64;
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(
            m, TorchScriptMatrixFunctions.DEFAULT_POWER_ITERATIONS, precision);
        BankKernels bank = new BankKernels(m)) {
      Random r = new Random(seed);
      PreconditionerContext plain = Fixtures.context(m, f, 100).build();
      PreconditionerContext batched = plain.toBuilder().bank(bank).build();
      List<Preconditioner> a = new ArrayList<>();
      List<Preconditioner> b = new ArrayList<>();
      for (int i = 0; i < members; i++) {
        int order = new int[] {8, 12, 17}[r.nextInt(3)];
        CholeskyEfPreconditioner pa = Fixtures.create(order, batched, config);
        CholeskyEfPreconditioner pb = Fixtures.create(order, plain, config);
        assertEquals(order > 8, pa.batchedRoots().isPresent(), "order " + order);
        for (int step = 0; step < 2; step++) {
          NDArray gram = gram(m, order, r);
          pa.accumulate(gram);
          pb.accumulate(gram);
        }
        a.add(pa);
        b.add(pb);
      }
      List<RejectedUpdateException> outcomes = RootUpdates.refresh(a);
      for (int i = 0; i < members; i++) {
        b.get(i).refreshInverseRoot();
        assertNull(outcomes.get(i), "member " + i);
        CholeskyEfPreconditioner pa = (CholeskyEfPreconditioner) a.get(i);
        CholeskyEfPreconditioner pb = (CholeskyEfPreconditioner) b.get(i);
        assertArrayEquals(pb.inverseRoot(m).toFloatArray(), pa.inverseRoot(m).toFloatArray(), 0f,
            "member " + i);
        assertArrayEquals(pb.factor(m).toFloatArray(), pa.factor(m).toFloatArray(), 0f);
        assertArrayEquals(pb.error(m).toFloatArray(), pa.error(m).toFloatArray(), 0f);
        assertEquals(0, pa.rejectedRefreshes());
      }
      a.forEach(Preconditioner::close);
      b.forEach(Preconditioner::close);
    }
  }

  @Property(tries = 1, seed = "2")
  void aCholeskyRootRefreshesAlone() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels bank = new BankKernels(m)) {
      PreconditionerContext batched = Fixtures.context(m, f, 100).bank(bank).build();
      CholeskyEfConfig cholRoot = CholeskyEfConfig.builder().rootAsCholesky(true).build();
      try (CholeskyEfPreconditioner p = Fixtures.create(12, batched, cholRoot)) {
        assertTrue(p.batchedRoots().isEmpty());
      }
    }
  }

  private static NDArray gram(NDManager m, int order, Random r) {
    float[] x = new float[order * 3];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    NDArray g = m.create(x, new Shape(order, 3));
    return g.matMul(g.transpose());
  }
}
