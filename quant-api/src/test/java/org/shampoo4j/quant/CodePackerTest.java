package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

class CodePackerTest {
  private static byte[] randomCodes(int bits, int count, Random r) {
    byte[] codes = new byte[count];
    for (int i = 0; i < count; i++) {
      codes[i] = (byte) r.nextInt(1 << bits);
    }
    return codes;
  }

  @Test
  void roundTripsEveryLengthAndWidth() {
    Random r = new Random(7);
    for (int bits = 1; bits <= 8; bits++) {
      CodePacker p = new CodePacker(bits);
      for (int count = 0; count <= 70; count++) {
        byte[] codes = randomCodes(bits, count, r);
        byte[] packed = p.pack(codes);
        assertEquals((count * bits + 7) / 8, packed.length);
        assertArrayEquals(codes, p.unpack(packed, count), bits + " bits, length " + count);
      }
    }
  }

  @Property(tries = 100, seed = "42")
  void roundTripsRandomLengths(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 5000) int count,
      @ForAll long seed) {
    CodePacker p = new CodePacker(bits);
    byte[] codes = randomCodes(bits, count, new Random(seed));
    assertArrayEquals(codes, p.unpack(p.pack(codes), count));
  }

  @Test
  void fourBitsPutEvenElementsInTheLowNibbleAndPadOddLengthsWithZero() {
    CodePacker p = new CodePacker(4);
    byte[] packed = p.pack(new byte[] {0x3, 0xA, 0xF});
    assertArrayEquals(new byte[] {(byte) 0xA3, 0x0F}, packed);
    assertArrayEquals(new byte[] {0x3, 0xA, 0xF}, p.unpack(packed, 3));
    assertArrayEquals(new byte[] {0x5}, p.pack(new byte[] {0x5}));
  }

  @Test
  void otherWidthsFormALittleEndianBitStream() {
    // Three 3-bit codes 0b101, 0b011, 0b110 -> bits 101 | 011<<3 | 110<<6 = 0b1_1001_1101.
    byte[] packed = new CodePacker(3).pack(new byte[] {5, 3, 6});
    assertArrayEquals(new byte[] {(byte) 0x9D, 0x01}, packed);
  }

  @Test
  void rejectsCodesThatDoNotFitAndWrongPackedLengths() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CodePacker(4).pack(new byte[] {1, 16}));
    assertTrue(e.getMessage().contains("at 1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CodePacker(3).pack(new byte[] {8}));
    e = assertThrows(IllegalArgumentException.class,
        () -> new CodePacker(4).unpack(new byte[3], 7));
    assertTrue(e.getMessage().contains("need 4 bytes, got 3"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CodePacker(0));
    assertThrows(IllegalArgumentException.class, () -> new CodePacker(9));
  }

  @Property(tries = 40, seed = "42")
  void djlPackingAgreesWithCodePacker(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 700) int count,
      @ForAll long seed) {
    byte[] codes = randomCodes(bits, count, new Random(seed));
    byte[] expected = new CodePacker(bits).pack(codes);
    long[] asLongs = new long[count];
    for (int i = 0; i < count; i++) {
      asLongs[i] = codes[i] & 0xFF;
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray packed = DeviceCodes.pack(m.create(asLongs), bits);
      assertEquals(DataType.UINT8, packed.getDataType());
      assertArrayEquals(expected, packed.toByteArray());
      NDArray unpacked = DeviceCodes.unpack(
          m.create(ByteBuffer.wrap(expected), new Shape(expected.length), DataType.UINT8),
          bits, count);
      assertEquals(DataType.UINT8, unpacked.getDataType());
      assertArrayEquals(asLongs, unpacked.toType(DataType.INT64, false).toLongArray());
    }
  }
}
