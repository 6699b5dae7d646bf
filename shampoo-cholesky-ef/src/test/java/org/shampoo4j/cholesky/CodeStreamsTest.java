package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.quant.CodePacker;

/** {@link CodeStreams} against the pure-Java {@link CodePacker}, byte for byte. */
class CodeStreamsTest {

  @Property(tries = 40, seed = "42")
  void packsLikeCodePackerAndRoundTrips(
      @ForAll @IntRange(min = 2, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 300) int count,
      @ForAll long seed) {
    Random random = new Random(seed);
    byte[] codes = new byte[count];
    float[] asFloat = new float[count];
    for (int i = 0; i < count; i++) {
      codes[i] = (byte) random.nextInt(1 << bits);
      asFloat[i] = codes[i] & 0xFF;
    }
    byte[] expected = new CodePacker(bits).pack(codes);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray packed = CodeStreams.pack(m.create(asFloat), bits);
      assertArrayEquals(expected, packed.toByteArray(), "packed bytes, bits=" + bits);
      assertArrayEquals(asFloat, CodeStreams.unpack(packed, bits, count).toFloatArray());
    }
  }
}
