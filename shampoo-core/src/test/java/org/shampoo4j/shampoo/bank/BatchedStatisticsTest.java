package org.shampoo4j.shampoo.bank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import org.shampoo4j.linalg.CoupledNewtonInverseRoot;
import org.shampoo4j.linalg.EighPrecision;
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
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * The bank's batched statistic update ({@link StatisticUpdates} with the representations'
 * {@code BatchedStatistics}) against each preconditioner's own {@code accumulate}: the same
 * statistics bit for bit, for mixed orders (an order class per distinct order, members of the
 * fp32 and of the quantized layout side by side), and a member with a non-finite Gram matrix
 * rejected alone, keeping its previous state, as its own {@code accumulate} would; and the
 * batched root refreshes ({@link RootUpdates}: fp32 and naive eigh roots, eigen-Björck roots)
 * against each member's own.
 */
class BatchedStatisticsTest {

  @Property(tries = 12, seed = "21")
  void batchedEqualsPerMemberBitForBit(
      @ForAll @IntRange(min = 0, max = 2) int representationIndex,
      @ForAll @IntRange(min = 1, max = 5) int members,
      @ForAll @IntRange(min = 0, max = 4) int rejected,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    PreconditionerRepresentation representation = switch (representationIndex) {
      case 0 -> new FullMatrixRepresentation();
      case 1 -> new NaiveQuantizedRepresentation(new Linear2Map());
      default -> EigenBjorckRepresentation.builder(new Linear2Map()).build();
    };
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels bank = new BankKernels(m)) {
      // Orders 3 (fp32 under the minimum of 16 elements), 4 (libtorch's own small-matrix
      // kernels), 7 and 9 (quantized): several classes.
      int[] orders = new int[members];
      Random r = new Random(seed);
      for (int i = 0; i < members; i++) {
        orders[i] = new int[] {3, 4, 7, 9}[r.nextInt(4)];
      }
      PreconditionerContext batched = RepresentationFixtures.context(m, f, 16).toBuilder()
          .bank(bank).build();
      PreconditionerContext plain = RepresentationFixtures.context(m, f, 16);
      List<Preconditioner> a = new ArrayList<>();
      List<Preconditioner> b = new ArrayList<>();
      for (int order : orders) {
        a.add(representation.create(order, batched));
        b.add(representation.create(order, plain));
      }
      for (int round = 0; round < 2; round++) {
        List<NDArray> grams = new ArrayList<>();
        for (int i = 0; i < members; i++) {
          boolean bad = round == 1 && i == rejected;
          grams.add(gram(m, orders[i], r, bad));
        }
        List<RejectedUpdateException> outcomes = StatisticUpdates.accumulate(a, grams);
        for (int i = 0; i < members; i++) {
          boolean bad = round == 1 && i == rejected;
          RejectedUpdateException expected = null;
          try {
            b.get(i).accumulate(grams.get(i));
          } catch (RejectedUpdateException e) {
            expected = e;
          }
          assertEquals(bad, expected != null, "reference outcome of member " + i);
          if (bad) {
            assertNotNull(outcomes.get(i), "member " + i + " must be rejected");
            assertTrue(outcomes.get(i).getMessage().contains("NaN or an infinity"));
          } else {
            assertNull(outcomes.get(i), "member " + i + " must be updated");
          }
          assertArrayEquals(b.get(i).statistic(m).toFloatArray(),
              a.get(i).statistic(m).toFloatArray(), 0f, "member " + i);
        }
      }
      a.forEach(Preconditioner::close);
      b.forEach(Preconditioner::close);
    }
  }

  @Property(tries = 12, seed = "5")
  void batchedRootsEqualPerMemberBitForBit(
      @ForAll @IntRange(min = 0, max = 2) int representationIndex,
      @ForAll boolean float32Eigh,
      @ForAll @IntRange(min = 1, max = 5) int members,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    PreconditionerRepresentation representation = switch (representationIndex) {
      case 0 -> new FullMatrixRepresentation();
      case 1 -> new NaiveQuantizedRepresentation(new Linear2Map());
      default -> EigenBjorckRepresentation.builder(new Linear2Map()).build();
    };
    EighPrecision precision = float32Eigh ? EighPrecision.FLOAT32 : EighPrecision.FLOAT64;
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(
            m, TorchScriptMatrixFunctions.DEFAULT_POWER_ITERATIONS, precision);
        BankKernels bank = new BankKernels(m)) {
      Random r = new Random(seed);
      PreconditionerContext batched = RepresentationFixtures.context(m, f, 16).toBuilder()
          .bank(bank).build();
      PreconditionerContext plain = RepresentationFixtures.context(m, f, 16);
      List<Preconditioner> a = new ArrayList<>();
      List<Preconditioner> b = new ArrayList<>();
      for (int i = 0; i < members; i++) {
        // Order 3 keeps quantized representations' state fp32 (per-member path), 4, 7 and 9 are
        // quantized (the batch); fp32 statistics batch at every order.
        int order = new int[] {3, 4, 7, 9}[r.nextInt(4)];
        Preconditioner pa = representation.create(order, batched);
        Preconditioner pb = representation.create(order, plain);
        NDArray gram = gram(m, order, r, false);
        pa.accumulate(gram);
        pb.accumulate(gram);
        a.add(pa);
        b.add(pb);
      }
      List<RejectedUpdateException> outcomes = RootUpdates.refresh(a);
      for (int i = 0; i < members; i++) {
        b.get(i).refreshInverseRoot();
        assertNull(outcomes.get(i), "member " + i);
        assertArrayEquals(b.get(i).inverseRoot(m).toFloatArray(),
            a.get(i).inverseRoot(m).toFloatArray(), 0f, "member " + i);
      }
      a.forEach(Preconditioner::close);
      b.forEach(Preconditioner::close);
    }
  }

  @Property(tries = 4, seed = "11")
  void aFailingEigensolveFallsBackToPerMemberRefreshes(
      @ForAll @IntRange(min = 0, max = 2) int broken,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels bank = new BankKernels(m)) {
      Random r = new Random(seed);
      PreconditionerContext batched = RepresentationFixtures.context(m, f, 16).toBuilder()
          .bank(bank).build();
      PreconditionerContext plain = RepresentationFixtures.context(m, f, 16);
      FullMatrixRepresentation representation = new FullMatrixRepresentation();
      List<Preconditioner> a = new ArrayList<>();
      List<Preconditioner> b = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Preconditioner pa = representation.create(7, batched);
        Preconditioner pb = representation.create(7, plain);
        NDArray gram = gram(m, 7, r, false);
        if (i == broken) {
          // A NaN statistic (as a restored state may hold) makes the eigensolver throw.
          NDArray nan = gram.mul(Float.NaN);
          StateSnapshot state = StateSnapshot.builder().array("statistic", nan)
              .array("root", m.eye(7)).build();
          pa.restoreState(state);
          pb.restoreState(state);
        } else {
          pa.accumulate(gram);
          pb.accumulate(gram);
        }
        a.add(pa);
        b.add(pb);
      }
      List<RejectedUpdateException> outcomes = RootUpdates.refresh(a);
      for (int i = 0; i < 3; i++) {
        RejectedUpdateException expected = RootUpdates.alone(b.get(i));
        assertEquals(i == broken, expected != null, "reference outcome of member " + i);
        assertEquals(i == broken, outcomes.get(i) != null, "member " + i);
        assertArrayEquals(b.get(i).inverseRoot(m).toFloatArray(),
            a.get(i).inverseRoot(m).toFloatArray(), 0f, "member " + i);
      }
      a.forEach(Preconditioner::close);
      b.forEach(Preconditioner::close);
    }
  }

  @Property(tries = 1, seed = "3")
  void fullAndNaiveEighRootsAreBatched() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels bank = new BankKernels(m)) {
      PreconditionerContext batched = RepresentationFixtures.context(m, f, 16).toBuilder()
          .bank(bank).build();
      Preconditioner full = new FullMatrixRepresentation().create(7, batched);
      Preconditioner naive = new NaiveQuantizedRepresentation(new Linear2Map()).create(7, batched);
      assertTrue(full.batchedRoots().isPresent());
      assertTrue(naive.batchedRoots().isPresent());
      PreconditionerContext newton = batched.toBuilder()
          .rootMethod(new CoupledNewtonInverseRoot(f)).build();
      Preconditioner perBlock = new FullMatrixRepresentation().create(7, newton);
      assertTrue(perBlock.batchedRoots().isEmpty(), "coupled Newton refreshes one at a time");
      full.close();
      naive.close();
      perBlock.close();
    }
  }

  @Property(tries = 6, seed = "7")
  void gramsEqualThePerBlockProducts(
      @ForAll @IntRange(min = 2, max = 13) int rows,
      @ForAll @IntRange(min = 2, max = 13) int cols,
      @ForAll @IntRange(min = 1, max = 6) int maxOrder) {
    try (NDManager m = NDManager.newBaseManager(); BankKernels bank = new BankKernels(m)) {
      NDArray g = m.randomNormal(new Shape(rows, cols));
      List<Integer> rowCuts = cuts(rows, maxOrder);
      List<Integer> colCuts = cuts(cols, maxOrder);
      NDArray[] grams = bank.grams(g, rowCuts, colCuts);
      int k = 0;
      for (int i = 0; i + 1 < rowCuts.size(); i++) {
        for (int j = 0; j + 1 < colCuts.size(); j++) {
          NDArray gb = g.get(rowCuts.get(i) + ":" + rowCuts.get(i + 1) + ","
              + colCuts.get(j) + ":" + colCuts.get(j + 1));
          assertArrayEquals(gb.matMul(gb.transpose()).toFloatArray(),
              grams[2 * k].toFloatArray(), 0f);
          assertArrayEquals(gb.transpose().matMul(gb).toFloatArray(),
              grams[2 * k + 1].toFloatArray(), 0f);
          k++;
        }
      }
      assertEquals(2 * k, grams.length);
    }
  }

  @Property(tries = 6, seed = "8")
  void gramsOfAllAreEachGradientsGramsInOrder(
      @ForAll @IntRange(min = 2, max = 13) int rows,
      @ForAll @IntRange(min = 2, max = 13) int cols,
      @ForAll @IntRange(min = 1, max = 6) int maxOrder) {
    try (NDManager m = NDManager.newBaseManager(); BankKernels bank = new BankKernels(m)) {
      NDArray a = m.randomNormal(new Shape(rows, cols));
      NDArray b = m.randomNormal(new Shape(cols, rows + 1));
      List<Integer> aRows = cuts(rows, maxOrder);
      List<Integer> aCols = cuts(cols, maxOrder);
      List<Integer> bRows = cuts(cols, maxOrder + 1);
      List<Integer> bCols = cuts(rows + 1, maxOrder);
      NDArray[] both = bank.gramsOfAll(List.of(a, b), List.of(aRows, bRows),
          List.of(aCols, bCols));
      List<NDArray> expected = new ArrayList<>(List.of(bank.grams(a, aRows, aCols)));
      expected.addAll(List.of(bank.grams(b, bRows, bCols)));
      assertEquals(expected.size(), both.length);
      for (int i = 0; i < both.length; i++) {
        assertArrayEquals(expected.get(i).toFloatArray(), both[i].toFloatArray(), 0f);
      }
      assertThrows(IllegalArgumentException.class,
          () -> bank.gramsOfAll(List.of(a, b), List.of(aRows), List.of(aCols, bCols)));
    }
  }

  @Property(tries = 1, seed = "1")
  void mismatchedListsAreRefused() {
    try (NDManager m = NDManager.newBaseManager()) {
      assertThrows(IllegalArgumentException.class,
          () -> StatisticUpdates.accumulate(List.of(), List.of(m.eye(2))));
    }
  }

  private static NDArray gram(NDManager m, int order, Random r, boolean nonFinite) {
    float[] x = new float[order * 2];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    NDArray g = m.create(x, new Shape(order, 2));
    NDArray gram = g.matMul(g.transpose());
    return nonFinite ? gram.mul(Float.POSITIVE_INFINITY) : gram;
  }

  private static List<Integer> cuts(int n, int maxOrder) {
    List<Integer> out = new ArrayList<>();
    for (int at = 0; at < n; at += maxOrder) {
      out.add(at);
    }
    out.add(n);
    return out;
  }
}
