package org.shampoo4j.shampoo.representation.eigen;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shampoo4j.shampoo.representation.eigen.RepresentationFixtures.*;
import static org.shampoo4j.testing.Matrices.fromNd;
import static org.shampoo4j.testing.Matrices.toNd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.ejml.data.DMatrixRMaj;
import org.shampoo4j.linalg.Bjorck;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.testing.Matrices;

/**
 * Björck steps on a 4-bit dequantized orthogonal matrix (the eigenvectors V̄ as eigen-Björck
 * stores them: dense, blocks of 64 along rows) reduce {@code ‖V·Vᵀ − I‖F}, and the first steps
 * do most of the work.
 */
class BjorckOnQuantizedEigenvectorsTest {
  @Property(tries = 12, seed = "42")
  void bjorckStepsReduceTheOrthogonalityErrorOfDequantizedEigenvectors(
      @ForAll @IntRange(min = 64, max = 192) int n,
      @ForAll @IntRange(min = 0, max = 1) int mapIndex,
      @ForAll @IntRange(min = 0, max = 10_000) int seed) {
    QuantizationMap map = mapIndex == 0 ? new Linear2Map() : new DynamicTreeMap();
    DMatrixRMaj u = randomOrthogonal(n, new Random(seed));
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      NDArrayQuantizer q = context(m, f, 4096).quantizer(map);
      double[] error = new double[5];
      try (NDArray exact = toNd(m, u);
          PackedNDArray packed = q.quantize(exact);
          NDArray v = q.dequantize(packed)) {
        for (int steps = 0; steps < error.length; steps++) {
          try (NDArray corrected = Bjorck.orthonormalize(v, steps)) {
            error[steps] = orthogonalityError(fromNd(corrected));
          }
        }
      }
      System.out.printf("n=%d %s ||VV^T-I||_F after 0..4 Bjorck steps: %.3e %.3e %.3e %.3e %.3e%n",
          n, map.name(), error[0], error[1], error[2], error[3], error[4]);
      assertTrue(error[1] < error[0] / 2, "one step should at least halve the error");
      for (int steps = 1; steps < error.length; steps++) {
        // Quadratic convergence ends at fp32 round-off (~1e-5 for these sizes).
        assertTrue(error[steps] <= Math.max(error[steps - 1], 1e-4),
            "error grew at step " + steps + ": " + java.util.Arrays.toString(error));
      }
      assertTrue(error[4] < 1e-3 * error[0] + 1e-4, java.util.Arrays.toString(error));
    }
  }
}
