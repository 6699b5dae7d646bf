package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
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
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.testing.FuzzTally;

/**
 * Decoding fuzz of the Cholesky triangle codes (issue #17): stored factors of every form with
 * random codes and scales (NaN and infinities included) and buffers one element too long or too
 * short, into {@link FactorCodec}'s decoders (the rebuilt factor, the error state, the shared code
 * matrix). Either the state is rejected with the documented {@link IllegalArgumentException}, or
 * the factor decodes to n×n and the error to n(n−1)/2 entries; nothing else.
 */
class FactorStateFuzzTest {
  private static FuzzTally tally;
  private static CodeKernels kernels;

  @BeforeContainer
  static void open() {
    tally = new FuzzTally("cholesky factor");
    kernels = new CodeKernels(tally.manager());
  }

  @AfterContainer
  static void close() {
    kernels.close();
    tally.close();
  }

  @Property(tries = 250, seed = "29")
  void anyStoredFactorIsRejectedOrDecodes(
      @ForAll @IntRange(min = 2, max = 40) int order,
      @ForAll StoredFactor.Form form,
      @ForAll @IntRange(min = 3, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 80) int blockSize,
      @ForAll @IntRange(min = 0, max = 5) int damagedBuffer,
      @ForAll @IntRange(min = -1, max = 1) int damage,
      @ForAll long seed) {
    Random r = new Random(seed);
    QuantizationSpec spec = QuantizationSpec.builder(Fixtures.LINEAR2.codebook(bits))
        .blockSize(blockSize).build();
    FactorCodec codec = new FactorCodec(order, form, spec, kernels);
    long pairs = codec.layout().pairs();
    long scales = (pairs + blockSize - 1) / blockSize;
    long[] sizes = {
      order,
      form == StoredFactor.Form.FP32 ? 0
          : ((form == StoredFactor.Form.ERROR_FEEDBACK ? 2 : 1) * pairs * bits + 7) / 8,
      form == StoredFactor.Form.FP32 ? 0 : scales,
      form == StoredFactor.Form.ERROR_FEEDBACK ? scales : 0,
      form == StoredFactor.Form.FP32 ? pairs : 0,
    };
    if (damagedBuffer < sizes.length) {
      sizes[damagedBuffer] = Math.max(0, sizes[damagedBuffer] + damage);
    }
    try (NDManager scope = tally.manager().newSubManager()) {
      byte[] codes = new byte[(int) sizes[1]];
      r.nextBytes(codes);
      StoredFactor stored = new StoredFactor(form, scope.create(floats(sizes[0], r)),
          scope.create(ByteBuffer.wrap(codes), new Shape(codes.length), DataType.UINT8),
          scope.create(floats(sizes[2], r)), scope.create(floats(sizes[3], r)),
          scope.create(floats(sizes[4], r)));
      NDArray factor;
      NDArray error;
      try {
        factor = codec.factorMatrix(stored);
        error = codec.errorLower(stored);
      } catch (IllegalArgumentException e) {
        tally.rejected();
        return;
      }
      assertEquals(new Shape(order, order), factor.getShape());
      assertEquals(pairs, error.size());
      if (form == StoredFactor.Form.ERROR_FEEDBACK) {
        assertEquals(new Shape(order, order), codec.codeMatrix(stored).getShape());
      }
      tally.decoded();
    }
  }

  private static float[] floats(long count, Random r) {
    float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, -Float.MAX_VALUE, 0f};
    float[] v = new float[(int) count];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextInt(12) == 0 ? specials[r.nextInt(specials.length)] : (float) r.nextGaussian();
    }
    return v;
  }
}
