package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.testing.QuantizerChecks;

/**
 * The device building blocks, fused TorchScript kernels and the plain NDArray formulation alike,
 * agree with the host codebook, {@link CodePacker} and {@link ArrayQuantizer}.
 */
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
      NDArray input = m.create(y).reshape(7, 43);
      for (NDArray codes : new NDArray[] {DeviceCodes.nearestCodes(input, codebook),
          NDArrayCodes.nearestCodes(input, codebook)}) {
        assertEquals(DataType.UINT8, codes.getDataType());
        assertArrayEquals(new long[] {7, 43}, codes.getShape().getShape());
        assertArrayEquals(expected, codes.flatten().toType(DataType.INT64, false).toLongArray());
      }
    }
  }

  @Property(tries = 30, seed = "42")
  void blockEncodingEqualsTheJavaQuantizer(
      @ForAll @IntRange(min = 1, max = 40) int rows,
      @ForAll @IntRange(min = 1, max = 90) int columns,
      @ForAll @IntRange(min = 1, max = 80) int blockSize,
      @ForAll boolean rowBlocks,
      @ForAll long seed) {
    Random random = new Random(seed);
    int bits = new int[] {3, 4, 8}[random.nextInt(3)];
    Codebook codebook = TestCodebooks.random(bits, random, true);
    float[] x = QuantizerChecks.data(rows * columns, random);
    QuantizationSpec spec = QuantizationSpec.builder(codebook).blockSize(blockSize)
        .blocking(rowBlocks ? Blocking.ROWS : Blocking.FLAT).minQuantizedElements(0).build();
    PackedTensor host = new ArrayQuantizer(spec).quantize(FloatTensor.of(x, rows, columns));
    float[] hostValues = new ArrayQuantizer(spec).dequantize(host).data();
    long rowLength = rowBlocks ? columns : (long) rows * columns;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray input = m.create(x).reshape(rows, columns);
      for (DeviceCodes.BlockEncoding encoded : new DeviceCodes.BlockEncoding[] {
          DeviceCodes.encodeBlocks(input, codebook, blockSize, rowLength),
          NDArrayCodes.encodeBlocks(input, codebook, blockSize, rowLength)}) {
        assertEquals(DataType.UINT8, encoded.codes().getDataType());
        assertArrayEquals(host.scales(), encoded.scales().toFloatArray());
        assertArrayEquals(host.codes(), DeviceCodes.pack(encoded.codes(), bits).toByteArray());
        assertArrayEquals(host.codes(), NDArrayCodes.pack(encoded.codes(), bits).toByteArray());
        NDArray values = DeviceCodes.decodeBlocks(
            encoded.codes(), encoded.scales(), codebook, blockSize, rowLength);
        assertArrayEquals(hostValues, values.toFloatArray());
        assertArrayEquals(hostValues, NDArrayCodes.decodeBlocks(
            encoded.codes(), encoded.scales(), codebook, blockSize, rowLength).toFloatArray());
      }
    }
  }

  @Property(tries = 40, seed = "42")
  void packAndUnpackEqualCodePackerForEveryWidth(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 300) int n,
      @ForAll long seed) {
    Random random = new Random(seed);
    byte[] codes = new byte[n];
    for (int i = 0; i < n; i++) {
      codes[i] = (byte) random.nextInt(1 << bits);
    }
    byte[] packed = new CodePacker(bits).pack(codes);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray deviceCodes = m.create(ByteBuffer.wrap(codes), new Shape(n), DataType.UINT8);
      NDArray devicePacked =
          m.create(ByteBuffer.wrap(packed), new Shape(packed.length), DataType.UINT8);
      assertArrayEquals(packed, DeviceCodes.pack(deviceCodes, bits).toByteArray());
      assertArrayEquals(packed, NDArrayCodes.pack(deviceCodes, bits).toByteArray());
      // Codes given as float32 integers (as the Cholesky code matrix holds them) pack the same.
      assertArrayEquals(packed, DeviceCodes.pack(
          deviceCodes.toType(DataType.FLOAT32, false), bits).toByteArray());
      assertArrayEquals(codes, DeviceCodes.unpack(devicePacked, bits, n).toByteArray());
      assertArrayEquals(codes, NDArrayCodes.unpack(devicePacked, bits, n).toByteArray());
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
