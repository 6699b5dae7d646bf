package org.shampoo4j.adamw4;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.shampoo4j.testing.FuzzTally;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.Layout;
import org.shampoo4j.quant.linear2.ZeroFreeLinearMap;

/**
 * Decoding fuzz of 4-bit AdamW's rank-1 second-moment state (issue #17): random shapes, buffer
 * sizes and contents (NaN and infinite maxima included) into {@link Rank1PackedNDArray} and
 * {@link Rank1Quantizer#dequantize}. Either the state is rejected with the documented {@link
 * IllegalArgumentException}, or it decodes to exactly its shape's elements; nothing else.
 */
class Rank1StateFuzzTest {
  private static FuzzTally tally;

  @BeforeContainer
  static void open() {
    tally = new FuzzTally("rank-1 state");
  }

  @AfterContainer
  static void close() {
    tally.close();
  }

  @Property(tries = 250, seed = "23")
  void anyRank1StateIsRejectedOrDecodes(
      @ForAll @IntRange(min = 0, max = 4) int rank,
      @ForAll @IntRange(min = -1, max = 9) int dimA,
      @ForAll @IntRange(min = -1, max = 9) int dimB,
      @ForAll @IntRange(min = 1, max = 3) int dimC,
      @ForAll boolean quantized,
      @ForAll @IntRange(min = 0, max = 9) int bits,
      @ForAll boolean consistentSizes,
      @ForAll @IntRange(min = -2, max = 2) int sizeError,
      @ForAll long seed) {
    Random r = new Random(seed);
    int[] shape = java.util.Arrays.copyOf(new int[] {dimA, dimB, dimC, 2}, rank);
    long n = 1;
    for (int d : shape) {
      n *= Math.max(d, 0);
    }
    Codebook codebook = new ZeroFreeLinearMap().codebook(4);
    int width = bits >= 1 && bits <= 8 ? bits : 4;
    long codeBytes = consistentSizes ? (n * width + 7) / 8 : r.nextInt(40);
    try (NDManager scope = tally.manager().newSubManager()) {
      NDList maxima = new NDList();
      if (quantized) {
        for (int axis = 0; axis < (consistentSizes ? rank : r.nextInt(5)); axis++) {
          int length = consistentSizes ? Math.max(shape[axis], 0) : r.nextInt(10);
          maxima.add(scope.create(floats(length, r)));
        }
      }
      long bytes = Math.max(0, (quantized ? codeBytes : 0) + (consistentSizes ? 0 : sizeError));
      byte[] codes = new byte[(int) bytes];
      r.nextBytes(codes);
      NDArray codeBuffer = scope.create(ByteBuffer.wrap(codes), new Shape(codes.length),
          DataType.UINT8);
      NDArray fp32 = scope.create(floats(quantized ? 0 : (int) Math.max(0, n + sizeError), r));
      Rank1PackedNDArray state;
      try {
        state = new Rank1PackedNDArray(shape, quantized ? Layout.DENSE : Layout.FP32,
            codebook.id(), bits, codeBuffer, maxima, fp32);
      } catch (IllegalArgumentException e) {
        tally.rejected();
        return;
      }
      try {
        NDArray values = new Rank1Quantizer(codebook, 0, false).dequantize(state);
        assertEquals(n, values.size());
        tally.decoded();
      } catch (IllegalArgumentException e) {
        tally.rejected(); // another codebook width than the state's: documented
      }
    }
  }

  /** Random floats with NaN, infinities and negative values among them. */
  private static float[] floats(int count, Random r) {
    float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1f, 0f};
    float[] v = new float[count];
    for (int i = 0; i < count; i++) {
      v[i] = r.nextInt(10) == 0 ? specials[r.nextInt(specials.length)] : r.nextFloat();
    }
    return v;
  }
}
