package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;

/**
 * The optimizer's fused step (one TorchScript call per parameter) against its per-operation path,
 * with the Cholesky representation: weights agree bit for bit, for the root stored 4-bit
 * off-diagonal and for the root stored as its own Cholesky factor.
 */
class FusedStepTest {

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void fusedAndPerOperationStepsAgreeBitForBit(boolean rootAsCholesky) {
    assertArrayEquals(train(false, rootAsCholesky), train(true, rootAsCholesky), 0f);
  }

  private static float[] train(boolean fusedStep, boolean rootAsCholesky) {
    CholeskyEfConfig cholesky = CholeskyEfConfig.builder().rootAsCholesky(rootAsCholesky).build();
    ShampooConfig config = ShampooConfig.builder().statisticsInterval(1).rootInterval(3)
        .maxOrder(20).minQuantizedElements(16).learningRate(0.1f).build();
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = ShampooOptimizer.builder().config(config)
            .representation(new CholeskyEfRepresentation(new Linear2Map(), cholesky))
            // Per-parameter directions: bit for bit the per-operation path (the batched ones
            // round differently; shampoo-core's BatchedDirectionsTest bounds them).
            .fusedStep(fusedStep).batchedDirections(false).build()) {
      NDArray w = m.zeros(new Shape(30, 17));
      Random r = new Random(5);
      for (int step = 0; step < 7; step++) {
        float[] g = new float[30 * 17];
        for (int i = 0; i < g.length; i++) {
          g[i] = (float) r.nextGaussian();
        }
        opt.update("w", w, m.create(g, new Shape(30, 17)));
      }
      return w.toFloatArray();
    }
  }
}
