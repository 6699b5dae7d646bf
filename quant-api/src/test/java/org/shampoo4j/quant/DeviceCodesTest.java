package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.testing.QuantizerChecks;

/** The device building blocks agree with the host codebook and {@link ArrayQuantizer}. */
class DeviceCodesTest {

  @Property(tries = 30, seed = "42")
  void nearestCodesMatchCodebookEncodeTiesIncluded(
      @ForAll @IntRange(min = 1, max = 8) int bits, @ForAll long seed) {
    Random random = new Random(seed);
    Codebook codebook = TestCodebooks.random(bits, random, random.nextBoolean());
    float[] midpoints = codebook.midpoints();
    float[] y = new float[301];
    for (int i = 0; i < y.length; i++) {
      // Every fifth value sits exactly on a midpoint, where the tie rule decides.
      y[i] = i % 5 == 0 && midpoints.length > 0
          ? midpoints[random.nextInt(midpoints.length)]
          : 2f * random.nextFloat() - 1f;
    }
    long[] expected = new long[y.length];
    for (int i = 0; i < y.length; i++) {
      expected[i] = codebook.encode(y[i]);
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray codes = DeviceCodes.nearestCodes(m.create(y).reshape(7, 43), codebook);
      assertArrayEquals(new long[] {7, 43}, codes.getShape().getShape());
      assertArrayEquals(expected, codes.flatten().toLongArray());
    }
  }

  @Property(tries = 30, seed = "42")
  void blockEncodingEqualsTheJavaQuantizer(
      @ForAll @IntRange(min = 1, max = 500) int n,
      @ForAll @IntRange(min = 1, max = 80) int blockSize,
      @ForAll long seed) {
    Random random = new Random(seed);
    Codebook codebook = TestCodebooks.random(4, random, true);
    float[] x = QuantizerChecks.data(n, random);
    QuantizationSpec spec =
        QuantizationSpec.builder(codebook).blockSize(blockSize).minQuantizedElements(0).build();
    PackedTensor host = new ArrayQuantizer(spec).quantize(FloatTensor.vector(x));
    float[] hostValues = new ArrayQuantizer(spec).dequantize(host).data();
    try (NDManager m = NDManager.newBaseManager()) {
      DeviceCodes.BlockEncoding encoded = DeviceCodes.encodeBlocks(m.create(x), codebook, blockSize);
      assertArrayEquals(host.scales(), encoded.scales().toFloatArray());
      assertArrayEquals(host.codes(), DeviceCodes.pack(encoded.codes(), 4).toByteArray());
      NDArray values =
          DeviceCodes.decodeBlocks(encoded.codes(), encoded.scales(), codebook, blockSize);
      assertArrayEquals(hostValues, values.toFloatArray());
    }
  }

  @Test
  void rejectsEmptyInputAndBadWidths() {
    Codebook codebook = TestCodebooks.linear(4);
    try (NDManager m = NDManager.newBaseManager()) {
      assertThrows(IllegalArgumentException.class,
          () -> DeviceCodes.encodeBlocks(m.create(new float[0]), codebook, 64));
      assertThrows(IllegalArgumentException.class,
          () -> DeviceCodes.encodeBlocks(m.create(new float[] {1f}), codebook, 0));
      NDArray codes = m.create(new long[] {1, 2}).toType(DataType.INT64, false);
      assertThrows(IllegalArgumentException.class, () -> DeviceCodes.pack(codes, 9));
      assertThrows(IllegalArgumentException.class, () -> DeviceCodes.unpack(codes, 0, 2));
    }
  }
}
