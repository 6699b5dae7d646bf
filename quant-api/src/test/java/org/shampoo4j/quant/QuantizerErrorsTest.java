package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** Bad input fails early with a message that says what and where, on both paths. */
class QuantizerErrorsTest {
  private static final QuantizationSpec SPEC =
      QuantizationSpec.builder(TestCodebooks.squared(4)).minQuantizedElements(0).build();
  private final ArrayQuantizer aq = new ArrayQuantizer(SPEC);
  private final NDArrayQuantizer nq = new NDArrayQuantizer(SPEC);

  private static void assertMessage(
      org.junit.jupiter.api.function.Executable call, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' lacks '" + part + "'");
    }
  }

  private static float[] matrixWith(float bad, int at) {
    float[] x = new float[12];
    for (int i = 0; i < x.length; i++) {
      x[i] = i * 0.1f;
    }
    x[at] = bad;
    return x;
  }

  @Test
  void nonFiniteInputNamesTheElementOnBothPaths() {
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      float[] x = matrixWith(bad, 6);
      assertMessage(() -> aq.quantize(FloatTensor.of(x, 3, 4)),
          "[1, 2]", "flat index 6", "[3, 4]", String.valueOf(bad));
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray a = m.create(x).reshape(3, 4);
        assertMessage(() -> nq.quantize(a), "[1, 2]", "flat index 6", String.valueOf(bad));
      }
    }
    float[] square = new float[9];
    square[4] = Float.NaN;
    assertMessage(() -> aq.quantizeOffDiagonal(FloatTensor.of(square, 3, 3)), "[1, 1]", "NaN");
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(square).reshape(3, 3);
      assertMessage(() -> nq.quantizeOffDiagonal(a), "[1, 1]", "NaN");
    }
  }

  @Test
  void emptyInputIsRejectedOnBothPaths() {
    assertMessage(() -> aq.quantize(FloatTensor.of(new float[0], 0)), "empty");
    assertMessage(() -> aq.quantize(FloatTensor.of(new float[0], 3, 0)), "empty");
    assertMessage(() -> aq.quantizeOffDiagonal(FloatTensor.of(new float[0], 0, 0)), "empty");
    try (NDManager m = NDManager.newBaseManager()) {
      assertMessage(() -> nq.quantize(m.create(new float[0])), "empty");
      assertMessage(() -> nq.quantizeOffDiagonal(m.create(new float[0]).reshape(0, 0)), "empty");
    }
  }

  @Test
  void nonSquareOffDiagonalInputIsRejectedOnBothPaths() {
    assertMessage(() -> aq.quantizeOffDiagonal(FloatTensor.of(new float[6], 2, 3)),
        "square matrix", "[2, 3]");
    assertMessage(() -> aq.quantizeOffDiagonal(FloatTensor.of(new float[8], 2, 2, 2)),
        "square matrix");
    try (NDManager m = NDManager.newBaseManager()) {
      assertMessage(() -> nq.quantizeOffDiagonal(m.create(new float[6]).reshape(2, 3)),
          "square matrix", "[2, 3]");
    }
  }

  @Test
  void badSpecsAreRejectedWithTheValue() {
    assertMessage(() -> QuantizationSpec.builder(TestCodebooks.linear(4)).blockSize(0),
        "block size must be positive", "0");
    assertMessage(() -> QuantizationSpec.builder(TestCodebooks.linear(4)).blockSize(-64),
        "-64");
    assertMessage(
        () -> QuantizationSpec.builder(TestCodebooks.linear(4)).minQuantizedElements(-1), "-1");
    assertThrows(NullPointerException.class, () -> QuantizationSpec.builder(null));
  }

  @Test
  void dequantizingWithAnotherCodebookIsRejectedOnBothPaths() {
    float[] x = matrixWith(1f, 0);
    PackedTensor packed = aq.quantize(FloatTensor.of(x, 3, 4));
    QuantizationSpec other =
        QuantizationSpec.builder(TestCodebooks.linear(4)).minQuantizedElements(0).build();
    assertMessage(() -> new ArrayQuantizer(other).dequantize(packed),
        "test-squared/4", "test-linear/4");
    QuantizationSpec wider =
        QuantizationSpec.builder(TestCodebooks.squared(3)).minQuantizedElements(0).build();
    assertMessage(() -> new ArrayQuantizer(wider).dequantize(packed), "test-squared/3");
    try (NDManager m = NDManager.newBaseManager();
        PackedNDArray onDevice = PackedNDArray.fromHost(packed, m)) {
      assertMessage(() -> new NDArrayQuantizer(other).dequantize(onDevice),
          "test-squared/4", "test-linear/4");
    }
  }

  @Test
  void packedDataWhoseSizesDoNotAddUpIsRejected() {
    int[] shape = {3, 5};
    String id = "test-linear/4";
    // 15 elements, 4 bits, block 4: 8 code bytes, 4 scales.
    new PackedTensor(shape, Layout.DENSE, id, 4, 4, new byte[8], new float[4], new float[0]);
    assertMessage(() -> new PackedTensor(shape, Layout.DENSE, id, 4, 4,
        new byte[7], new float[4], new float[0]), "needs 8 codes, got 7");
    assertMessage(() -> new PackedTensor(shape, Layout.DENSE, id, 4, 4,
        new byte[8], new float[3], new float[0]), "needs 4 scales, got 3");
    assertMessage(() -> new PackedTensor(shape, Layout.DENSE, id, 4, 4,
        new byte[8], new float[4], new float[1]), "needs 0 fp32 values, got 1");
    assertMessage(() -> new PackedTensor(shape, Layout.FP32, id, 4, 4,
        new byte[0], new float[0], new float[14]), "needs 15 fp32 values, got 14");
    assertMessage(() -> new PackedTensor(shape, Layout.OFF_DIAGONAL, id, 4, 4,
        new byte[8], new float[4], new float[3]), "square matrix");
    assertMessage(() -> new PackedTensor(new int[] {4, 4}, Layout.OFF_DIAGONAL, id, 4, 4,
        new byte[8], new float[4], new float[3]), "needs 4 fp32 values, got 3");
    assertMessage(() -> new PackedTensor(shape, Layout.DENSE, id, 0, 4,
        new byte[8], new float[4], new float[0]), "bits");
    assertMessage(() -> new PackedTensor(shape, Layout.DENSE, id, 4, 0,
        new byte[8], new float[4], new float[0]), "block size");
    assertMessage(() -> FloatTensor.of(new float[5], 2, 3), "needs 6 values, got 5");
  }
}
