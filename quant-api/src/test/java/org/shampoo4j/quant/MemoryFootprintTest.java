package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.testing.QuantizerChecks;

/** Reported bytes are the real buffer sizes; 4-bit with B = 64 costs 4.5 bits per element. */
class MemoryFootprintTest {
  private static QuantizationSpec spec(int bits, int blockSize) {
    return QuantizationSpec.builder(TestCodebooks.linear(bits))
        .blockSize(blockSize).minQuantizedElements(0).build();
  }

  private static long nbytes(NDArray a) {
    return a.size() * a.getDataType().getNumOfBytes();
  }

  @Property(tries = 40, seed = "42")
  void bytesAreTheRealBufferSizesOnBothPaths(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 100) int blockSize,
      @ForAll @IntRange(min = 1, max = 70) int n,
      @ForAll boolean offDiagonal,
      @ForAll long seed) {
    float[] x = QuantizerChecks.data(n * n, new Random(seed));
    ArrayQuantizer aq = new ArrayQuantizer(spec(bits, blockSize));
    FloatTensor t = FloatTensor.of(x, n, n);
    PackedTensor p = offDiagonal ? aq.quantizeOffDiagonal(t) : aq.quantize(t);
    long expected = p.codes().length + 4L * p.scales().length + 4L * p.fp32().length;
    assertEquals(expected, p.bytes());
    assertEquals(new MemoryFootprint(
        p.codes().length, 4L * p.scales().length, 4L * p.fp32().length), p.memory());
    // The formula of docs/algorithms.md §2: ceil(n·b/8) code bytes, 4 per block, 4 per kept diagonal value.
    long elements = (long) n * n;
    assertEquals((elements * bits + 7) / 8, p.memory().codeBytes());
    assertEquals(4 * ((elements + blockSize - 1) / blockSize), p.memory().scaleBytes());
    assertEquals(offDiagonal ? 4L * n : 0L, p.memory().fp32Bytes());
    NDArrayQuantizer nq = new NDArrayQuantizer(spec(bits, blockSize));
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(x).reshape(n, n);
      try (PackedNDArray d = offDiagonal ? nq.quantizeOffDiagonal(a) : nq.quantize(a)) {
        assertEquals(
            new MemoryFootprint(nbytes(d.codes()), nbytes(d.scales()), nbytes(d.fp32())),
            d.memory());
        assertEquals(p.memory(), d.memory());
      }
    }
  }

  @Test
  void fourBitsWithBlocksOf64CostFourAndAHalfBitsPerElement() {
    ArrayQuantizer q = new ArrayQuantizer(QuantizationSpec.of(TestCodebooks.squared(4)));
    Random r = new Random(11);
    PackedTensor dense = q.quantize(FloatTensor.of(QuantizerChecks.data(128 * 96, r), 128, 96));
    assertEquals(4.5, dense.memory().bitsPerElement(128 * 96), 0.0);
    // Off-diagonal: the fp32 diagonal adds 32·n bits to the n² elements.
    for (int n : new int[] {64, 200, 1200}) {
      PackedTensor off =
          q.quantizeOffDiagonal(FloatTensor.of(QuantizerChecks.data(n * n, r), n, n));
      double bits = off.memory().bitsPerElement((long) n * n);
      assertEquals(4.5 + 32.0 / n, bits, 1e-12, "order " + n);
      System.out.printf("4-bit B=64 off-diagonal n=%d: %.4f bits/element, 1/%.2f of fp32%n",
          n, bits, 32 / bits);
    }
  }

  @Test
  void footprintArithmetic() {
    MemoryFootprint a = new MemoryFootprint(1, 2, 3);
    assertEquals(new MemoryFootprint(1, 2, 15), a.plus(MemoryFootprint.ofFp32(3)));
    assertEquals(6, a.total());
    assertEquals(MemoryFootprint.ZERO, new MemoryFootprint(0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new MemoryFootprint(-1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> a.bitsPerElement(0));
  }
}
