package org.shampoo4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.shampoo4j.linalg.EighPrecision;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.shampoo.BlockLayout;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.health.HealthReport;
import org.shampoo4j.shampoo.health.PreconditionerFailureException;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.testing.FaultyMatrixFunctions.Fault;

/**
 * Numerical faults every representation must survive, or stop on with the documented error
 * (issue #17). Subclasses name the representation; each test below says what the optimizer must
 * do. Common to all: no stored statistic or inverse root is ever non-finite. The suite counts the
 * faults it injected, those training survived and those that raised the documented error, and
 * prints one {@code fault-suite} line per representation (the README quotes them).
 *
 * <p>Small problems (orders up to 147, T1 = 1, T2 = 2) keep each test to about a second.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class FaultSuite {
  private int injected;
  private int survived;
  private int errorsRaised;

  /** The representation under test, fresh. */
  protected abstract PreconditionerRepresentation representation();

  /** Settings shared by the tests: T1 = 1, T2 = 2, K = 3, every state quantized if it can be. */
  protected ShampooConfig.Builder config() {
    return ShampooConfig.builder().learningRate(0.01f).statisticsInterval(1).rootInterval(2)
        .minQuantizedElements(0).maxConsecutiveFailures(3)
        .baseOptimizer(SgdMomentum.builder().momentum(0.9f).settings());
  }

  /**
   * Whether the configured route calls a solver that can throw (eigh, QR, Cholesky); false for
   * the matmul-only coupled Newton root of the fp32 representation, where only NaN faults apply.
   */
  protected boolean callsThrowingSolvers() {
    return true;
  }

  /** The name the summary line gives the representation; by default its report name. */
  protected String label() {
    return representation().name();
  }

  @AfterAll
  void printCounts() {
    System.out.printf(Locale.ROOT, "fault-suite %s: %d faults injected, %d survived, %d errors "
        + "raised%n", label(), injected, survived, errorsRaised);
  }

  /**
   * Solvers that throw (eigh, QR, Cholesky) for one step that updates both statistics and roots:
   * the step completes, each failed update is counted in health() and the memory report, and the
   * state it would have replaced is the one from before the step; the next steps train normally.
   */
  @Test
  void solverFailuresKeepThePreviousStateAndTrainingGoesOn() {
    Assumptions.assumeTrue(callsThrowingSolvers(), "no solver that throws on this route");
    transientFault(Fault.THROW);
  }

  /**
   * Matrix functions that return NaN (the power iteration included) for one step: same as a
   * thrown failure; nothing NaN is stored.
   */
  @Test
  void nanResultsAreNeverStored() {
    transientFault(Fault.NAN);
  }

  private void transientFault(Fault fault) {
    try (Run run = new Run(config().build(), new Shape(6, 5), UnaryOperator.identity())) {
      for (int s = 0; s < 4; s++) {
        run.step(run.gradient());
      }
      List<float[]> statistics = run.states(false);
      List<float[]> roots = run.states(true);
      run.faulty.inject(fault);
      injected++;
      run.step(run.gradient()); // step 5: statistics only
      run.step(run.gradient()); // step 6: statistics and roots
      run.faulty.inject(Fault.NONE);
      assertTrue(run.faulty.spoiledCalls() > 0, "the fault reached a solver");
      HealthReport health = run.opt.health();
      System.out.print(health.summary());
      HealthReport.Block block = health.blocks().get(0);
      assertTrue(block.rejected() > 0, "some update was rejected: " + health.summary());
      assertEquals(block.rejected(), run.opt.memoryReport().rejectedUpdates());
      if (block.rejectedStatistics() == 4) {
        // Both statistics rejected at steps 5 and 6: what they were after step 4.
        assertStatesEqual(statistics, run.states(false));
      }
      if (block.rejectedRoots() == 2) {
        assertStatesEqual(roots, run.states(true));
      }
      run.assertFinite();
      for (int s = 0; s < 6; s++) {
        run.step(run.gradient());
      }
      assertEquals(block.rejected(), run.opt.health().blocks().get(0).rejected(),
          "no rejection once the solvers work again");
      assertEquals(0, run.opt.health().blocks().get(0).consecutiveFailures());
      run.assertFinite();
      survived++;
    }
  }

  /**
   * Solvers that keep failing: after K = 3 failed statistic (or root) events of the block in a row
   * the step throws PreconditionerFailureException naming parameter, block and cause; the state
   * is still the last finite one.
   */
  @Test
  void persistentFailuresStopWithTheDocumentedError() {
    for (Fault fault : new Fault[] {Fault.THROW, Fault.NAN}) {
      if (fault == Fault.THROW && !callsThrowingSolvers()) {
        continue;
      }
      try (Run run = new Run(config().build(), new Shape(6, 5), UnaryOperator.identity())) {
        for (int s = 0; s < 4; s++) {
          run.step(run.gradient());
        }
        run.faulty.inject(fault);
        injected++;
        PreconditionerFailureException e = null;
        for (int s = 0; s < 3 * 2 && e == null; s++) {
          try {
            run.step(run.gradient());
          } catch (PreconditionerFailureException thrown) {
            e = thrown;
          }
        }
        if (e == null) {
          fail(fault + ": no PreconditionerFailureException after 3 root intervals: "
              + run.opt.health().summary());
        }
        System.out.println(fault + " -> " + e.getMessage());
        assertEquals(Run.ID, e.parameterId());
        assertEquals(0, e.block());
        assertEquals(3, e.consecutiveFailures());
        assertTrue(e.getMessage().contains("'" + Run.ID + "', block 0"), e.getMessage());
        assertTrue(e.getMessage().contains("rejected"), e.getMessage());
        run.faulty.inject(Fault.NONE);
        run.assertFinite();
        errorsRaised++;
      }
    }
  }

  /**
   * A float32 eigh that fails is retried in float64 (no rejection, one warning); representations
   * that never call eigh are unaffected.
   */
  @Test
  void failedFloat32EighIsRetriedInFloat64() {
    try (Run run = new Run(config().build(), new Shape(6, 5), UnaryOperator.identity(),
        EighPrecision.FLOAT32)) {
      run.step(run.gradient()); // creates the state, and with it the matrix functions
      Assumptions.assumeTrue(callsThrowingSolvers(), "no eigh on this route");
      run.faulty.inject(Fault.THROW_EIGH);
      injected++;
      for (int s = 0; s < 6; s++) {
        run.step(run.gradient());
      }
      assertEquals(0, run.opt.health().blocks().get(0).rejected(), run.opt.health().summary());
      run.assertFinite();
      survived++;
    }
  }

  /**
   * A float32 eigh that returns NaN without throwing is retried in float64 like one that throws:
   * no rejection, finite weights. Before the retry covered this case, every root was rejected.
   */
  @Test
  void float32EighReturningNanIsRetriedInFloat64() {
    try (Run run = new Run(config().build(), new Shape(6, 5), UnaryOperator.identity(),
        EighPrecision.FLOAT32)) {
      run.step(run.gradient());
      Assumptions.assumeTrue(callsThrowingSolvers(), "no eigh on this route");
      run.faulty.inject(Fault.NAN_EIGH);
      injected++;
      for (int s = 0; s < 6; s++) {
        run.step(run.gradient());
      }
      Assumptions.assumeTrue(run.faulty.spoiledCalls() > 0, "this representation calls no eigh");
      assertEquals(0, run.opt.health().blocks().get(0).rejected(), run.opt.health().summary());
      run.assertFinite();
      survived++;
    }
  }

  /**
   * NaN, +Inf and 1e30 (finite, but its square overflows float32) gradients under each policy.
   * THROW: IllegalStateException naming the parameter, weights untouched. SKIP: the update is
   * skipped and counted, weights untouched. UNCHECKED: the value reaches the base optimizer (the
   * weights may turn non-finite, as documented) but the preconditioners reject the statistic, so
   * their state stays finite. DEFERRED_THROW: as UNCHECKED, then the next update of the parameter
   * throws naming it. GUARDED (the default): the bad update is selected away on the device and
   * the preconditioners are not refreshed (weights bit-identical, no rejected statistic), then the
   * next update throws naming the parameter. Training goes on afterwards in the last four cases.
   */
  @Test
  void nonFiniteAndHugeGradientsUnderEachPolicy() {
    for (NonFinitePolicy policy : NonFinitePolicy.values()) {
      for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, 1e30f}) {
        try (Run run = new Run(config().nonFinitePolicy(policy).build(), new Shape(6, 5),
            UnaryOperator.identity())) {
          for (int s = 0; s < 3; s++) {
            run.step(run.gradient());
          }
          float[] weights = run.w.toFloatArray();
          NDArray g = run.gradient();
          g.set(new ai.djl.ndarray.index.NDIndex("2, 3"), bad);
          injected++;
          String what = policy + "/" + bad;
          switch (policy) {
            case THROW -> {
              IllegalStateException e =
                  assertThrows(IllegalStateException.class, () -> run.step(g), what);
              assertTrue(e.getMessage().contains("'" + Run.ID + "'"), e.getMessage());
              assertArrayEquals(weights, run.w.toFloatArray(), 0f, what);
              errorsRaised++;
            }
            case SKIP -> {
              run.step(g);
              assertEquals(1, run.opt.skippedUpdates(), what);
              assertArrayEquals(weights, run.w.toFloatArray(), 0f, what);
              survived++;
            }
            case UNCHECKED -> {
              run.step(g);
              assertTrue(run.opt.health().rejectedStatistics() > 0, what + ": "
                  + run.opt.health().summary());
              survived++;
            }
            case GUARDED -> {
              long rejected = run.opt.health().rejectedStatistics();
              run.step(g);
              assertArrayEquals(weights, run.w.toFloatArray(), 0f, what);
              assertEquals(rejected, run.opt.health().rejectedStatistics(), what);
              IllegalStateException e = assertThrows(
                  IllegalStateException.class, () -> run.step(run.gradient()), what);
              assertTrue(e.getMessage().contains("'" + Run.ID + "'"), e.getMessage());
              assertArrayEquals(weights, run.w.toFloatArray(), 0f, what);
              errorsRaised++;
            }
            case DEFERRED_THROW -> {
              run.step(g);
              assertTrue(run.opt.health().rejectedStatistics() > 0, what + ": "
                  + run.opt.health().summary());
              // Read when the parameter's next gradient arrives, naming it.
              IllegalStateException e = assertThrows(
                  IllegalStateException.class, () -> run.step(run.gradient()), what);
              assertTrue(e.getMessage().contains("'" + Run.ID + "'"), e.getMessage());
              errorsRaised++;
            }
          }
          run.assertStateFinite();
          for (int s = 0; s < 4; s++) {
            run.step(run.gradient());
          }
          run.assertStateFinite();
          if (policy == NonFinitePolicy.SKIP || policy == NonFinitePolicy.GUARDED) {
            run.assertFinite();
          }
        }
      }
    }
  }

  /**
   * Zero gradients for 150 steps with β = 0.5: the statistics decay below float32's range to
   * zero, yet no update is rejected, the roots stay finite and the weights do not move.
   */
  @Test
  void allZeroGradientsForManyStepsKeepFiniteRoots() {
    try (Run run = new Run(config().beta(0.5f).rootInterval(5).build(), new Shape(4, 3),
        UnaryOperator.identity())) {
      float[] weights = run.w.toFloatArray();
      injected++;
      for (int s = 0; s < 150; s++) {
        run.step(run.m.zeros(new Shape(4, 3)));
      }
      assertEquals(0, run.opt.health().blocks().get(0).rejected(), run.opt.health().summary());
      assertArrayEquals(weights, run.w.toFloatArray(), 0f);
      run.assertFinite();
      // A real gradient afterwards trains normally from the decayed state.
      for (int s = 0; s < 6; s++) {
        run.step(run.gradient());
      }
      run.assertFinite();
      assertEquals(0, run.opt.health().blocks().get(0).rejected(), run.opt.health().summary());
      survived++;
    }
  }

  /**
   * Rank-1 gradients (u·vᵀ) and rank-deficient ones (zero rows and columns) make singular
   * statistics: the ridge keeps every root finite, no update is rejected.
   */
  @Test
  void rankOneAndRankDeficientStatisticsGiveFiniteRoots() {
    for (boolean rankOne : new boolean[] {true, false}) {
      try (Run run = new Run(config().build(), new Shape(8, 6), UnaryOperator.identity())) {
        injected++;
        for (int s = 0; s < 8; s++) {
          NDArray g;
          if (rankOne) {
            NDArray u = run.m.randomNormal(new Shape(8, 1));
            g = u.matMul(run.m.arange(1f, 7f).reshape(1, 6));
          } else {
            g = run.gradient();
            g.set(new ai.djl.ndarray.index.NDIndex("0:4, :"), 0f);
            g.set(new ai.djl.ndarray.index.NDIndex(":, 3:"), 0f);
          }
          run.step(g);
        }
        assertEquals(0, run.opt.health().blocks().get(0).rejected(), run.opt.health().summary());
        run.assertFinite();
        survived++;
      }
    }
  }

  /**
   * Parameter shapes at the edges: 1×1, 1×n, n×1, a 7×7×3 stem (order 147), statistics just
   * under, at and over the 4096-element quantization threshold (orders 63, 64, 65, with that
   * threshold in force), and dimensions around a max order of 8 (blocked into pieces). Each
   * trains for 6 steps with finite state and no rejection.
   */
  @Test
  void edgeShapesTrainWithFiniteState() {
    record Case(Shape shape, int maxOrder, long minQuantized) {}
    List<Case> cases = List.of(new Case(new Shape(1, 1), 1200, 0), new Case(new Shape(1, 9), 1200, 0),
        new Case(new Shape(9, 1), 1200, 0), new Case(new Shape(4, 3, 7, 7), 1200, 0),
        new Case(new Shape(63, 5), 1200, 4096), new Case(new Shape(64, 65), 1200, 4096),
        new Case(new Shape(7, 8), 8, 0), new Case(new Shape(9, 16), 8, 0),
        new Case(new Shape(17, 3), 8, 0));
    for (Case c : cases) {
      Shape shape = c.shape();
      ShampooConfig config = config().maxOrder(c.maxOrder()).minQuantizedElements(c.minQuantized())
          .build();
      try (Run run = new Run(config, shape, UnaryOperator.identity())) {
        injected++;
        for (int s = 0; s < 6; s++) {
          run.step(run.gradient());
        }
        assertEquals(0, run.opt.health().rejectedStatistics() + run.opt.health().rejectedRoots(),
            shape + ": " + run.opt.health().summary());
        run.assertFinite();
        run.opt.layout(Run.ID).ifPresent(l -> System.out.println(shape + " -> " + l));
        survived++;
      }
    }
  }

  private static void assertStatesEqual(List<float[]> expected, List<float[]> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), 0f, "stored state " + i + " kept");
    }
  }

  /** One parameter trained by hand with seeded gradients, through a fault-injecting linalg. */
  private final class Run implements AutoCloseable {
    static final String ID = "w";
    final NDManager m = NDManager.newBaseManager();
    final Random random = new Random(17);
    final Shape shape;
    final NDArray w;
    final ShampooOptimizer opt;
    FaultyMatrixFunctions faulty;

    Run(ShampooConfig config, Shape shape, UnaryOperator<ShampooOptimizer.Builder> extra) {
      this(config, shape, extra, TorchScriptMatrixFunctions.DEFAULT_EIGH_PRECISION);
    }

    Run(ShampooConfig config, Shape shape, UnaryOperator<ShampooOptimizer.Builder> extra,
        EighPrecision precision) {
      this.shape = shape;
      m.getEngine().setRandomSeed(5);
      this.w = m.randomNormal(shape).mul(0.1f);
      this.opt = extra.apply(ShampooOptimizer.builder().config(config)
          .representation(representation())
          .matrixFunctions(dm -> {
            faulty = new FaultyMatrixFunctions(new TorchScriptMatrixFunctions(dm,
                TorchScriptMatrixFunctions.DEFAULT_POWER_ITERATIONS, precision));
            return faulty;
          })).build();
    }

    NDArray gradient() {
      float[] v = new float[Math.toIntExact(shape.size())];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) random.nextGaussian();
      }
      return m.create(v, shape);
    }

    void step(NDArray grad) {
      opt.update(ID, w, grad);
    }

    /** Every stored statistic (roots = false) or inverse root, flattened, L and R per block. */
    List<float[]> states(boolean roots) {
      List<float[]> out = new ArrayList<>();
      BlockLayout layout = opt.layout(ID).orElse(null);
      if (layout == null) {
        return out;
      }
      for (int b = 0; b < layout.blocks().size(); b++) {
        for (boolean left : new boolean[] {true, false}) {
          Preconditioner p = opt.preconditioner(ID, b, left);
          try (NDManager scope = m.newSubManager()) {
            out.add((roots ? p.inverseRoot(scope) : p.statistic(scope)).toFloatArray());
          }
        }
      }
      return out;
    }

    void assertStateFinite() {
      for (boolean roots : new boolean[] {false, true}) {
        for (float[] state : states(roots)) {
          for (float v : state) {
            assertTrue(Float.isFinite(v), (roots ? "root" : "statistic") + " holds " + v);
          }
        }
      }
    }

    void assertFinite() {
      assertStateFinite();
      assertFalse(w.isNaN().logicalOr(w.isInfinite()).any().getBoolean(), "weights finite");
    }

    @Override
    public void close() {
      opt.close();
      m.close();
    }
  }
}
