package org.shampoo4j.quant.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.shampoo4j.quant.ArrayQuantizer;
import org.shampoo4j.quant.BlockGrid;
import org.shampoo4j.quant.Blocking;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.FloatTensor;
import org.shampoo4j.quant.Layout;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.PackedTensor;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.quant.QuantizationSpec;

/**
 * Checks shared by the quantizer modules' tests through quant-api's test-jar: Java/DJL agreement
 * and the element-wise error bound.
 */
public final class QuantizerChecks {
  private QuantizerChecks() {}

  /** Gaussian data whose magnitude jumps between decades, with some exact zeros. */
  public static float[] data(int n, Random r) {
    float[] x = new float[n];
    double magnitude = Math.pow(10, r.nextInt(7) - 3);
    for (int i = 0; i < n; i++) {
      if (r.nextInt(10) == 0) {
        magnitude = Math.pow(10, r.nextInt(7) - 3);
      }
      x[i] = r.nextInt(20) == 0 ? 0f : (float) (r.nextGaussian() * magnitude);
    }
    return x;
  }

  /**
   * A random spec for {@code codebook}: block size, flat or row blocking, and minimum size below,
   * at and above n.
   */
  public static QuantizationSpec randomSpec(Codebook codebook, long n, Random r) {
    int[] blockSizes = {64, 128, 1, 7, 1 + r.nextInt(300)};
    long[] minimums = {0, n, n + 1, QuantizationSpec.DEFAULT_MIN_QUANTIZED_ELEMENTS};
    return QuantizationSpec.builder(codebook)
        .blockSize(blockSizes[r.nextInt(blockSizes.length)])
        .blocking(r.nextBoolean() ? Blocking.ROWS : Blocking.FLAT)
        .minQuantizedElements(minimums[r.nextInt(minimums.length)])
        .build();
  }

  /** A random shape of rank 1 to 3, or a square matrix when {@code square}. */
  public static int[] randomShape(Random r, boolean square) {
    if (square) {
      int n = 1 + r.nextInt(90);
      return new int[] {n, n};
    }
    int rank = 1 + r.nextInt(3);
    int[] shape = new int[rank];
    for (int d = 0; d < rank; d++) {
      shape[d] = 1 + r.nextInt(rank == 1 ? 5000 : rank == 2 ? 90 : 20);
    }
    return shape;
  }

  /**
   * Quantizes with the pure-Java and DJL (CPU) paths and asserts bit-for-bit equal codes, scales,
   * fp32 parts and dequantized values; also checks the error bound and the exact diagonal.
   */
  public static void assertAgreeAndBounded(
      QuantizationSpec spec, float[] x, int[] shape, boolean offDiagonal) {
    ArrayQuantizer aq = new ArrayQuantizer(spec);
    NDArrayQuantizer nq = new NDArrayQuantizer(spec);
    FloatTensor tensor = FloatTensor.of(x, shape);
    PackedTensor java = offDiagonal ? aq.quantizeOffDiagonal(tensor) : aq.quantize(tensor);
    float[] back = aq.dequantize(java).data();
    long[] dims = new long[shape.length];
    for (int d = 0; d < shape.length; d++) {
      dims[d] = shape[d];
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(x, new Shape(dims));
      try (PackedNDArray djl = offDiagonal ? nq.quantizeOffDiagonal(a) : nq.quantize(a)) {
        assertEquals(java, djl.toHost(), "packed tensors differ for " + spec);
        NDArray djlBack = nq.dequantize(djl);
        assertArrayEquals(dims, djlBack.getShape().getShape());
        assertArrayEquals(back, djlBack.toFloatArray(), "dequantized values differ for " + spec);
      }
    }
    assertBounded(spec, java, x, back);
  }

  /** |x − D(Q(x))| ≤ maxRoundingError · block scale (+ float32 slack); the diagonal is exact. */
  public static void assertBounded(
      QuantizationSpec spec, PackedTensor p, float[] x, float[] back) {
    if (p.layout() == Layout.FP32) {
      assertArrayEquals(x, back);
      return;
    }
    float[] scales = p.scales();
    BlockGrid grid = p.grid();
    int order = p.layout() == Layout.OFF_DIAGONAL ? p.shape()[0] : -1;
    float maxError = spec.codebook().maxRoundingError();
    for (int i = 0; i < x.length; i++) {
      if (order > 0 && i / order == i % order) {
        assertEquals(x[i], back[i], 0f, "diagonal element " + i / order);
        continue;
      }
      float s = scales[(int) grid.blockOf(i)];
      float bound = maxError * s + 1e-6f * s;
      assertTrue(Math.abs(x[i] - back[i]) <= bound,
          "element " + i + ": " + x[i] + " came back as " + back[i] + ", bound " + bound);
    }
  }

  /**
   * Asserts that {@code map}'s codebook of {@code bits} bits holds exactly the float32 bit patterns
   * {@code expected}: all its values when {@code codes} is null, else the values of those codes.
   */
  public static void assertValueBits(
      QuantizationMap map, int bits, int[] codes, int[] expected) {
    float[] values = map.codebook(bits).values();
    int count = codes == null ? values.length : codes.length;
    assertEquals(expected.length, count, "expected patterns");
    for (int i = 0; i < count; i++) {
      int code = codes == null ? i : codes[i];
      assertEquals(expected[i], Float.floatToRawIntBits(values[code]),
          () -> map.name() + "/" + bits + " code " + code);
    }
  }
}
