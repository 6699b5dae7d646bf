package org.shampoo4j.shampoo.bank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.base.UpdateGate;
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
 * The bank's updates under a {@link GateCheck}: a gate read false (with the first batch's flags,
 * or up front when only members refreshed alone remain) changes no statistic, no root and no
 * rejection count, and leaves the check rejected, so that the step's root refresh is not run; a
 * gate read true updates every member bit for bit as without a gate.
 */
class GateCheckTest {

  @Property(tries = 12, seed = "27")
  void aClosedGateChangesNothingAndAnOpenOneChangesAsUngated(
      @ForAll @IntRange(min = 0, max = 2) int representationIndex,
      @ForAll @IntRange(min = 1, max = 4) int members,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    PreconditionerRepresentation representation = switch (representationIndex) {
      case 0 -> new FullMatrixRepresentation();
      case 1 -> new NaiveQuantizedRepresentation(new Linear2Map());
      default -> EigenBjorckRepresentation.builder(new Linear2Map()).build();
    };
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels bank = new BankKernels(m)) {
      Random r = new Random(seed);
      PreconditionerContext batched = RepresentationFixtures.context(m, f, 16).toBuilder()
          .bank(bank).build();
      PreconditionerContext plain = RepresentationFixtures.context(m, f, 16);
      List<Preconditioner> a = new ArrayList<>();
      List<Preconditioner> b = new ArrayList<>();
      int[] orders = new int[members];
      for (int i = 0; i < members; i++) {
        // Order 3 keeps quantized representations' state fp32 (updated alone), 7 is batched.
        orders[i] = r.nextBoolean() ? 3 : 7;
        Preconditioner pa = representation.create(orders[i], batched);
        Preconditioner pb = representation.create(orders[i], plain);
        NDArray gram = gram(m, orders[i], r);
        pa.accumulate(gram);
        pb.accumulate(gram);
        pa.refreshInverseRoot();
        pb.refreshInverseRoot();
        a.add(pa);
        b.add(pb);
      }
      List<NDArray> grams = new ArrayList<>();
      for (int order : orders) {
        grams.add(gram(m, order, r));
      }

      GateCheck closed = GateCheck.of(UpdateGate.of(m.create(false)));
      assertTrue(closed.isPending());
      List<RejectedUpdateException> outcomes = StatisticUpdates.accumulate(a, grams, closed);
      assertTrue(closed.isRejected(), "the batch's read must bring the gate's flag");
      outcomes.forEach(e -> assertNull(e, "a rejected step reports no member's rejection"));
      List<RejectedUpdateException> rootOutcomes = RootUpdates.refresh(a, closed);
      rootOutcomes.forEach(e -> assertNull(e));
      assertSame(a, b, m, "after a closed gate");

      GateCheck open = GateCheck.of(UpdateGate.of(m.create(true)));
      outcomes = StatisticUpdates.accumulate(a, grams, open);
      assertFalse(open.isPending(), "the gate's flag was read");
      assertTrue(open.passes());
      outcomes.forEach(e -> assertNull(e));
      RootUpdates.refresh(a, open).forEach(e -> assertNull(e));
      for (int i = 0; i < members; i++) {
        b.get(i).accumulate(grams.get(i));
        b.get(i).refreshInverseRoot();
      }
      assertSame(a, b, m, "after an open gate");
      a.forEach(Preconditioner::close);
      b.forEach(Preconditioner::close);
    }
  }

  @Property(tries = 3, seed = "4")
  void aClosedGateStopsTheFallbackOfAFailedEigensolve(
      @ForAll @IntRange(min = 0, max = 2) int broken,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        BankKernels bank = new BankKernels(m)) {
      Random r = new Random(seed);
      PreconditionerContext batched = RepresentationFixtures.context(m, f, 16).toBuilder()
          .bank(bank).build();
      FullMatrixRepresentation representation = new FullMatrixRepresentation();
      List<Preconditioner> a = new ArrayList<>();
      List<float[]> roots = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Preconditioner p = representation.create(7, batched);
        NDArray gram = gram(m, 7, r);
        if (i == broken) {
          // A NaN statistic makes the batch's eigensolver throw: the members go one by one.
          p.restoreState(StateSnapshot.builder().array("statistic", gram.mul(Float.NaN))
              .array("root", m.eye(7)).build());
        } else {
          p.accumulate(gram);
        }
        a.add(p);
        roots.add(p.inverseRoot(m).toFloatArray());
      }
      GateCheck closed = GateCheck.of(UpdateGate.of(m.create(false)));
      RootUpdates.refresh(a, closed).forEach(e -> assertNull(e));
      assertTrue(closed.isRejected());
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(roots.get(i), a.get(i).inverseRoot(m).toFloatArray(), 0f,
            "member " + i);
        assertEquals(0, a.get(i).rejectedUpdates(), "member " + i);
      }
      a.forEach(Preconditioner::close);
    }
  }

  private static void assertSame(List<Preconditioner> a, List<Preconditioner> b, NDManager m,
      String when) {
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(b.get(i).statistic(m).toFloatArray(),
          a.get(i).statistic(m).toFloatArray(), 0f, when + ": statistic of member " + i);
      assertArrayEquals(b.get(i).inverseRoot(m).toFloatArray(),
          a.get(i).inverseRoot(m).toFloatArray(), 0f, when + ": root of member " + i);
      assertEquals(b.get(i).rejectedUpdates(), a.get(i).rejectedUpdates(),
          when + ": rejections of member " + i);
    }
  }

  private static NDArray gram(NDManager m, int order, Random r) {
    float[] x = new float[order * 2];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    NDArray g = m.create(x, new Shape(order, 2));
    return g.matMul(g.transpose());
  }
}
