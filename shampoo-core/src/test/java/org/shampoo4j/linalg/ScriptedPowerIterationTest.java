package org.shampoo4j.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link TorchScriptMatrixFunctions#maxEigenvalue}, now one call into the module, against the
 * same power iteration written as DJL operations one at a time (what it was before): the same
 * float bit for bit, for PSD matrices of several orders and scales, the zero matrix included.
 */
class ScriptedPowerIterationTest {

  @Property(tries = 10, seed = "21")
  void scriptedEqualsPerOperationBitForBit(
      @ForAll @IntRange(min = 1, max = 40) int order,
      @ForAll @IntRange(min = 1, max = 40) int rank,
      @ForAll @IntRange(min = -30, max = 10) int log10Scale,
      @ForAll @IntRange(min = 1, max = 40) int iterations) {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m, iterations)) {
      m.getEngine().setRandomSeed(order * 131 + rank);
      NDArray x = m.randomNormal(new Shape(order, rank)).mul((float) Math.pow(10, log10Scale));
      NDArray psd = x.matMul(x.transpose());
      assertEquals(perOperation(psd, iterations), f.maxEigenvalue(psd).getFloat(), 0f);
      NDArray zero = m.zeros(new Shape(order, order));
      assertEquals(perOperation(zero, iterations), f.maxEigenvalue(zero).getFloat(), 0f);
    }
  }

  /** The iteration as TorchScriptMatrixFunctions ran it before, one DJL operation at a time. */
  private static float perOperation(NDArray psd, int iterations) {
    long n = psd.getShape().get(0);
    NDManager scope = psd.getManager();
    NDArray scale = psd.abs().max().maximum(Float.MIN_NORMAL);
    NDArray a = psd.div(scale);
    NDArray v = scope.ones(new Shape(n, 1), DataType.FLOAT32).div(Math.sqrt(n));
    for (int i = 0; i < iterations; i++) {
      NDArray w = a.matMul(v);
      v = w.div(w.square().sum().sqrt().maximum(Float.MIN_NORMAL));
    }
    return v.mul(a.matMul(v)).sum().mul(scale).getFloat();
  }
}
