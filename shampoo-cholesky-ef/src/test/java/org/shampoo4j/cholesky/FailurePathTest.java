package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.shampoo4j.testing.Matrices;

/** Cholesky failures: retries with a growing ridge, then the previous state kept and counted. */
class FailurePathTest {
  private static final int N = 70;

  @Test
  void retriesWithTenfoldRidgeThenKeepsPreviousStateAndCounts() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions torch = new TorchScriptMatrixFunctions(m)) {
      ScriptedMatrixFunctions linalg = new ScriptedMatrixFunctions(torch);
      PreconditionerContext context = Fixtures.context(m, linalg, 0).build();
      try (CholeskyEfPreconditioner p = Fixtures.create(N, context, CholeskyEfConfig.defaults())) {
        NDArray gram = Matrices.toNd(m, Host.gram(N, 10, Host.ones(N), new Random(1)));
        p.accumulate(gram);
        byte[] codes = p.storedFactor().codes().toByteArray();
        float[] statistic = p.statistic(m).toFloatArray();
        float[] error = p.error(m).toFloatArray();

        // Every attempt fails: 1 + 3 retries, each with the ridge ×10, then nothing changes.
        int before = linalg.calls();
        linalg.failNext(4);
        RejectedUpdateException rejected =
            assertThrows(RejectedUpdateException.class, () -> p.accumulate(gram));
        assertEquals(RejectedUpdateException.Kind.STATISTIC, rejected.kind());
        assertTrue(rejected.getMessage().contains("3 retries"), rejected.getMessage());
        assertEquals(before + 4, linalg.calls(), "one attempt plus maxRetries = 3 retries");
        assertEquals(1, p.rejectedUpdates());
        assertEquals(3, p.retries());
        List<float[]> inputs = linalg.inputs();
        // The attempts factor the same statistic plus r_a·I with r_a = r·10^a, so successive
        // inputs differ by (r_(a+1) − r_a)·I, which grows tenfold per attempt.
        double[] steps = new double[3];
        for (int a = 0; a < 3; a++) {
          steps[a] = meanDiagonalDifference(inputs.get(before + a), inputs.get(before + a + 1));
          assertTrue(steps[a] > 0, "the ridge must grow, step " + a + " = " + steps[a]);
        }
        double growth = steps[2] / steps[1];
        assertEquals(10.0, growth, 0.2, "ridge growth per retry");
        assertArrayEquals(codes, p.storedFactor().codes().toByteArray(), "codes kept");
        assertArrayEquals(statistic, p.statistic(m).toFloatArray(), "statistic kept");
        assertArrayEquals(error, p.error(m).toFloatArray(), "error state kept");

        // Two failures then success: accepted on the third attempt, nothing rejected.
        linalg.failNext(2);
        p.accumulate(gram);
        assertEquals(1, p.rejectedUpdates());
        assertEquals(5, p.retries());
        System.out.printf(
            "failure path: all 4 attempts failed -> rejected=1 and state kept; 2 failures then"
                + " success -> accepted; ridge steps %s, growth per retry %.3f%n",
            java.util.Arrays.toString(steps), growth);
      }
    }
  }

  @Test
  void indefiniteStatisticIsRejectedWithoutNaN() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions linalg = new TorchScriptMatrixFunctions(m)) {
      // β = 0: the statistic is the gram alone; a negative definite "gram" can never be factored
      // (its ridge eps·λmax is negative too), with the real libtorch Cholesky.
      PreconditionerContext context = Fixtures.context(m, linalg, 0).beta(0f).build();
      try (CholeskyEfPreconditioner p = Fixtures.create(N, context, CholeskyEfConfig.defaults())) {
        float[] statistic = p.statistic(m).toFloatArray();
        NDArray negative = m.eye(N).mul(-3f);
        assertThrows(RejectedUpdateException.class, () -> p.accumulate(negative));
        assertEquals(1, p.rejectedUpdates());
        assertArrayEquals(statistic, p.statistic(m).toFloatArray(), "previous state kept");
        NDArray nanGram = m.eye(N).mul(Float.NaN);
        assertThrows(RejectedUpdateException.class, () -> p.accumulate(nanGram));
        assertEquals(2, p.rejectedUpdates(), "NaN statistic rejected, not stored");
        assertArrayEquals(statistic, p.statistic(m).toFloatArray(), "still the previous state");
        p.refreshInverseRoot();
        assertFalse(p.inverseRoot(m).isNaN().any().getBoolean(), "root finite");
        System.out.println("indefinite and NaN statistics rejected: " + p.rejectedUpdates());
      }
    }
  }

  /**
   * A statistic that is exactly zero (β = 0 and a zero gram; all-zero gradients decay a statistic
   * there) has ridge eps·λmax = 0: the absolute ridge floor keeps it factorable, so the update is
   * accepted and the factor stays finite instead of being rejected on every retry.
   */
  @Test
  void zeroStatisticFactorsWithTheRidgeFloor() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions linalg = new TorchScriptMatrixFunctions(m)) {
      PreconditionerContext context = Fixtures.context(m, linalg, 0).beta(0f).build();
      try (CholeskyEfPreconditioner p = Fixtures.create(N, context, CholeskyEfConfig.defaults())) {
        p.accumulate(m.zeros(new ai.djl.ndarray.types.Shape(N, N)));
        assertEquals(0, p.rejectedUpdates());
        float[] factor = p.factor(m).toFloatArray();
        for (float v : factor) {
          assertTrue(Float.isFinite(v), "factor finite");
        }
        assertTrue(factor[0] > 0, "positive diagonal from the floor, got " + factor[0]);
        p.refreshInverseRoot();
        assertFalse(p.inverseRoot(m).isNaN().logicalOr(p.inverseRoot(m).isInfinite()).any()
            .getBoolean(), "root finite");
      }
    }
  }

  private static double meanDiagonalDifference(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < N; i++) {
      sum += (double) b[i * N + i] - a[i * N + i];
    }
    return sum / N;
  }
}
