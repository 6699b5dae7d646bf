package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.StatisticUpdates;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.base.UpdateGate;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;

/**
 * The batched statistic update ({@link CholeskyStatisticBatch} through {@link StatisticUpdates})
 * against each member's own {@code accumulate}: the same stored factor (diagonal, packed codes,
 * factor and error scales, fp32 entries) and counters bit for bit, with and without error
 * feedback, for mixed orders in one batch (1 to 8 keep fp32 state; 12, 17 and 23 are quantized,
 * their triangles of 66, 136 and 253 entries ending in a partial block of 64), over several
 * rounds; a member with a non-finite Gram matrix is rejected alone after the per-member retries,
 * and one whose first factorisation fails is retried alone with a growing ridge, as without the
 * batch. A closed gate changes nothing.
 */
class BatchedStatisticsTest {
  private static final int[] ORDERS = {1, 5, 8, 12, 17, 23};

  @Property(tries = 10, seed = "31")
  void batchedUpdateEqualsPerMemberBitForBit(
      @ForAll boolean errorFeedback,
      @ForAll boolean decayingError,
      @ForAll @IntRange(min = 1, max = 5) int members,
      @ForAll @IntRange(min = 0, max = 5) int special,
      @ForAll @IntRange(min = 0, max = 2) int specialKind,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    CholeskyEfConfig config = CholeskyEfConfig.builder().errorFeedback(errorFeedback)
        .betaE(errorFeedback && decayingError ? 0.9f : 0f).build();
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels bank = new BankKernels(m)) {
      Random r = new Random(seed);
      PreconditionerContext plain = Fixtures.context(m, f, 100).build();
      PreconditionerContext batched = plain.toBuilder().bank(bank).build();
      int[] orders = new int[members];
      List<Preconditioner> a = new ArrayList<>();
      List<CholeskyEfPreconditioner> b = new ArrayList<>();
      for (int i = 0; i < members; i++) {
        orders[i] = ORDERS[r.nextInt(ORDERS.length)];
        CholeskyEfPreconditioner pa = Fixtures.create(orders[i], batched, config);
        assertTrue(pa.batchedStatistics().isPresent(), "order " + orders[i]);
        CholeskyEfPreconditioner pb = Fixtures.create(orders[i], plain, config);
        assertTrue(pb.batchedStatistics().isEmpty(), "no bank, no batch");
        a.add(pa);
        b.add(pb);
      }
      for (int round = 0; round < 3; round++) {
        List<NDArray> grams = new ArrayList<>();
        for (int i = 0; i < members; i++) {
          // Round 1: one member gets a NaN Gram matrix (kind 1) or an indefinite one (kind 2).
          int kind = round == 1 && i == special ? specialKind : 0;
          grams.add(gram(m, orders[i], r, kind));
        }
        List<RejectedUpdateException> outcomes = StatisticUpdates.accumulate(a, grams);
        for (int i = 0; i < members; i++) {
          String what = "round " + round + ", member " + i + " of order " + orders[i];
          RejectedUpdateException expected = null;
          try {
            b.get(i).accumulate(grams.get(i));
          } catch (RejectedUpdateException e) {
            expected = e;
          }
          if (expected == null) {
            assertNull(outcomes.get(i), what);
          } else {
            assertEquals(expected.getMessage(), outcomes.get(i).getMessage(), what);
          }
          assertSameState(b.get(i), (CholeskyEfPreconditioner) a.get(i), what);
        }
      }
      // The state a batch stored saves and loads like any other.
      for (int i = 0; i < members; i++) {
        try (CholeskyEfPreconditioner restored = Fixtures.create(orders[i], plain, config)) {
          restored.restoreState(a.get(i).saveState());
          assertSameState(b.get(i), restored, "restored member " + i);
        }
      }
      a.forEach(Preconditioner::close);
      b.forEach(Preconditioner::close);
    }
  }

  @Property(tries = 2, seed = "7")
  void aFirstFactorisationFailureIsRetriedAloneAsWithoutTheBatch(@ForAll boolean errorFeedback) {
    CholeskyEfConfig config = CholeskyEfConfig.builder().errorFeedback(errorFeedback).build();
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels bank = new BankKernels(m)) {
      Random r = new Random(3);
      PreconditionerContext plain = Fixtures.context(m, f, 100).build();
      PreconditionerContext batched = plain.toBuilder().bank(bank).build();
      List<Preconditioner> a = new ArrayList<>();
      List<CholeskyEfPreconditioner> b = new ArrayList<>();
      List<NDArray> grams = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        a.add(Fixtures.create(17, batched, config));
        b.add(Fixtures.create(17, plain, config));
        grams.add(gram(m, 17, r, i == 1 ? 2 : 0));
      }
      List<RejectedUpdateException> outcomes = StatisticUpdates.accumulate(a, grams);
      for (int i = 0; i < 3; i++) {
        b.get(i).accumulate(grams.get(i));
        assertNull(outcomes.get(i), "member " + i);
        assertSameState(b.get(i), (CholeskyEfPreconditioner) a.get(i), "member " + i);
      }
      assertTrue(b.get(1).retries() > 0, "the indefinite member needed a larger ridge");
      assertEquals(0, b.get(0).retries());
      a.forEach(Preconditioner::close);
      b.forEach(Preconditioner::close);
    }
  }

  @Property(tries = 1, seed = "9")
  void aClosedGateChangesNothingAndAnOpenOneUpdates() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels bank = new BankKernels(m)) {
      Random r = new Random(4);
      PreconditionerContext plain = Fixtures.context(m, f, 100).build();
      PreconditionerContext batched = plain.toBuilder().bank(bank).build();
      CholeskyEfConfig config = CholeskyEfConfig.defaults();
      List<Preconditioner> a = new ArrayList<>();
      List<CholeskyEfPreconditioner> b = new ArrayList<>();
      List<NDArray> grams = new ArrayList<>();
      for (int order : new int[] {12, 23, 5}) {
        a.add(Fixtures.create(order, batched, config));
        b.add(Fixtures.create(order, plain, config));
        grams.add(gram(m, order, r, 0));
      }
      GateCheck closed = GateCheck.of(UpdateGate.of(m.create(false)));
      List<RejectedUpdateException> none = StatisticUpdates.accumulate(a, grams, closed);
      assertTrue(closed.isRejected());
      GateCheck open = GateCheck.of(UpdateGate.of(m.create(true)));
      List<RejectedUpdateException> updated = StatisticUpdates.accumulate(a, grams, open);
      assertTrue(open.passes());
      for (int i = 0; i < 3; i++) {
        assertNull(none.get(i));
        assertNull(updated.get(i));
        b.get(i).accumulate(grams.get(i));
        assertSameState(b.get(i), (CholeskyEfPreconditioner) a.get(i), "member " + i);
      }
      a.forEach(Preconditioner::close);
      b.forEach(Preconditioner::close);
    }
  }

  @Property(tries = 1, seed = "2")
  void aGramOfTheWrongOrderIsRefusedBeforeAnythingChanges() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels bank = new BankKernels(m)) {
      PreconditionerContext batched = Fixtures.context(m, f, 100).bank(bank).build();
      CholeskyEfConfig config = CholeskyEfConfig.defaults();
      try (CholeskyEfPreconditioner p = Fixtures.create(12, batched, config);
          CholeskyEfPreconditioner q = Fixtures.create(12, batched, config)) {
        byte[] codes = p.storedFactor().codes().toByteArray();
        List<Preconditioner> members = List.of(p, q);
        List<NDArray> grams = List.of(m.eye(12), m.eye(11));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> StatisticUpdates.accumulate(members, grams));
        assertTrue(e.getMessage().contains("12×12"), e.getMessage());
        assertArrayEquals(codes, p.storedFactor().codes().toByteArray());
      }
    }
  }

  /** Every buffer of the stored factor and every counter, bit for bit. */
  private static void assertSameState(
      CholeskyEfPreconditioner expected, CholeskyEfPreconditioner actual, String what) {
    StoredFactor e = expected.storedFactor();
    StoredFactor a = actual.storedFactor();
    assertEquals(e.form(), a.form(), what);
    assertBits(e.diagonal(), a.diagonal(), what + ": diagonal");
    assertEquals(e.codes().getDataType(), a.codes().getDataType(), what + ": codes type");
    assertArrayEquals(e.codes().toByteArray(), a.codes().toByteArray(), what + ": codes");
    assertBits(e.factorScales(), a.factorScales(), what + ": factor scales");
    assertBits(e.errorScales(), a.errorScales(), what + ": error scales");
    assertBits(e.fp32Lower(), a.fp32Lower(), what + ": fp32 entries");
    assertEquals(expected.rejectedUpdates(), actual.rejectedUpdates(), what + ": rejected");
    assertEquals(expected.retries(), actual.retries(), what + ": retries");
  }

  private static void assertBits(NDArray expected, NDArray actual, String what) {
    assertEquals(expected.getShape(), actual.getShape(), what);
    assertEquals(expected.getDataType(), actual.getDataType(), what);
    float[] x = expected.toFloatArray();
    float[] y = actual.toFloatArray();
    for (int i = 0; i < x.length; i++) {
      assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]),
          what + " at " + i + ": " + x[i] + " vs " + y[i]);
    }
  }

  /**
   * G·Gᵀ of a random n×3 G; kind 1: times NaN; kind 2: minus 2e-3·(mean diagonal)·I, indefinite
   * enough that the first factorisation of a fresh statistic fails and a retry succeeds.
   */
  private static NDArray gram(NDManager m, int order, Random r, int kind) {
    float[] x = new float[order * 3];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    NDArray g = m.create(x, new Shape(order, 3));
    NDArray gram = g.matMul(g.transpose());
    if (kind == 1) {
      return gram.mul(Float.NaN);
    }
    if (kind == 2) {
      float shift = 2e-3f * gram.diagonal().mean().getFloat();
      return gram.sub(m.eye(order).mul(shift));
    }
    return gram;
  }
}
