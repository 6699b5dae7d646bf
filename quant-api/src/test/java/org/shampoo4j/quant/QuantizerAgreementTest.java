package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.quant.testing.QuantizerChecks;

/**
 * The pure-Java and DJL (CPU) quantizers agree bit for bit: codes, scales, fp32 parts and
 * dequantized values, for random codebooks, shapes, block sizes, flat and row blocking, and
 * minimum sizes; inputs include exact midpoints and their float32 neighbours.
 */
class QuantizerAgreementTest {
  private static final int[] USED_WIDTHS = {3, 4, 8};

  @Property(tries = 60, seed = "42")
  void javaAndDjlAgreeBitForBit(
      @ForAll @IntRange(min = 0, max = 7) int widthIndex,
      @ForAll @IntRange(min = 1, max = 3) int rank,
      @ForAll boolean offDiagonal,
      @ForAll long seed) {
    Random r = new Random(seed);
    // Mostly 3, 4 and 8 bits, the widths the project uses; sometimes any width.
    int bits = widthIndex < 6 ? USED_WIDTHS[widthIndex % 3] : 1 + r.nextInt(Codebook.MAX_BITS);
    Codebook cb = TestCodebooks.random(bits, r, r.nextBoolean());
    int[] shape;
    if (offDiagonal) {
      int n = 1 + r.nextInt(90);
      shape = new int[] {n, n};
    } else {
      shape = new int[rank];
      for (int d = 0; d < rank; d++) {
        shape[d] = 1 + r.nextInt(rank == 1 ? 5000 : rank == 2 ? 90 : 20);
      }
    }
    int n = Math.toIntExact(Shapes.elementCount(shape));
    int[] blockSizes = {64, 128, 1, 7, 1 + r.nextInt(300)};
    int blockSize = blockSizes[r.nextInt(blockSizes.length)];
    long[] minimums = {0, n, n + 1L, QuantizationSpec.DEFAULT_MIN_QUANTIZED_ELEMENTS};
    long minimum = minimums[r.nextInt(minimums.length)];
    QuantizationSpec spec = QuantizationSpec.builder(cb).blockSize(blockSize)
        .blocking(r.nextBoolean() ? Blocking.ROWS : Blocking.FLAT)
        .minQuantizedElements(minimum).build();
    float[] x = QuantizerChecks.data(n, r);
    plantMidpoints(x, cb, blockSize, r);
    assertAgree(spec, x, shape, offDiagonal);
  }

  /**
   * Makes some blocks hold an element equal to ±1 and the others equal to codebook midpoints or
   * their float32 neighbours, so that x·(1/scale) lands exactly on a decision threshold (the tie
   * rule) or one ulp beside it.
   */
  static void plantMidpoints(float[] x, Codebook cb, int blockSize, Random r) {
    float[] mid = cb.midpoints();
    for (int from = 0; from + 1 < x.length; from += blockSize) {
      int to = Math.min(x.length, from + blockSize);
      if (r.nextInt(3) != 0) {
        continue;
      }
      for (int i = from; i < to; i++) {
        float m = mid[r.nextInt(mid.length)];
        int pick = r.nextInt(4);
        x[i] = pick == 0 ? Math.nextUp(m) : pick == 1 ? Math.nextDown(m) : m;
      }
      x[from + r.nextInt(to - from)] = r.nextBoolean() ? 1f : -1f;
    }
  }

  /**
   * Quantizes with the Java path and both DJL paths (fused TorchScript kernels and plain NDArray
   * operations) and asserts equal packed tensors and dequantized values.
   */
  static void assertAgree(QuantizationSpec spec, float[] x, int[] shape, boolean offDiagonal) {
    assertAgree(spec, x, shape, offDiagonal, new NDArrayQuantizer(spec));
    assertAgree(spec, x, shape, offDiagonal, new NDArrayQuantizer(spec, true, false));
  }

  private static void assertAgree(
      QuantizationSpec spec, float[] x, int[] shape, boolean offDiagonal, NDArrayQuantizer nq) {
    ArrayQuantizer aq = new ArrayQuantizer(spec);
    FloatTensor tensor = FloatTensor.of(x, shape);
    PackedTensor java = offDiagonal ? aq.quantizeOffDiagonal(tensor) : aq.quantize(tensor);
    float[] javaBack = aq.dequantize(java).data();
    try (NDManager m = NDManager.newBaseManager()) {
      long[] dims = new long[shape.length];
      for (int d = 0; d < shape.length; d++) {
        dims[d] = shape[d];
      }
      NDArray a = m.create(x, new ai.djl.ndarray.types.Shape(dims));
      try (PackedNDArray djl = offDiagonal ? nq.quantizeOffDiagonal(a) : nq.quantize(a)) {
        PackedTensor djlHost = djl.toHost();
        assertEquals(java, djlHost, "packed tensors differ for " + spec);
        assertEquals(java.memory(), djl.memory());
        NDArray djlBack = nq.dequantize(djl);
        assertArrayEquals(dims, djlBack.getShape().getShape());
        assertArrayEquals(javaBack, djlBack.toFloatArray(), "dequantized values differ");
        // The DJL path also decodes what the Java path packed, and vice versa.
        try (PackedNDArray uploaded = PackedNDArray.fromHost(java, m)) {
          assertArrayEquals(javaBack, nq.dequantize(uploaded).toFloatArray());
        }
        assertArrayEquals(javaBack, aq.dequantize(djlHost).data());
      }
    }
  }
}
