package org.shampoo4j.adamw4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.quant.CodePacker;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.ZeroFreeLinearMap;

/** The device packing and encoding agree with quant-api's host {@link CodePacker} and codebook. */
class DeviceCodesTest {

  @Property(tries = 40, seed = "42")
  void packingMatchesCodePackerAndRoundTrips(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 200) int count,
      @ForAll long seed) {
    Random random = new Random(seed);
    byte[] codes = new byte[count];
    for (int i = 0; i < count; i++) {
      codes[i] = (byte) random.nextInt(1 << bits);
    }
    byte[] expected = new CodePacker(bits).pack(codes);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray device = manager.create(codes).toType(DataType.INT64, false);
      NDArray packed = DeviceCodes.pack(device, bits);
      assertArrayEquals(expected, packed.toByteArray(), "packed bytes, bits=" + bits);
      NDArray unpacked = DeviceCodes.unpack(packed, bits, count).toType(DataType.INT8, false);
      assertArrayEquals(codes, unpacked.toByteArray(), "round trip, bits=" + bits);
    }
  }

  @Property(tries = 30, seed = "42")
  void nearestCodesMatchCodebookEncode(@ForAll long seed, @ForAll boolean signedMap) {
    Codebook codebook = signedMap
        ? new DynamicTreeMap().codebook(4) : new ZeroFreeLinearMap().codebook(4);
    Random random = new Random(seed);
    float[] y = new float[300];
    float[] midpoints = codebook.midpoints();
    for (int i = 0; i < y.length; i++) {
      // Mix uniform values with exact midpoints, where the tie rule matters.
      y[i] = i % 5 == 0 ? midpoints[random.nextInt(midpoints.length)]
          : (signedMap ? 2f * random.nextFloat() - 1f : random.nextFloat());
    }
    byte[] expected = new byte[y.length];
    for (int i = 0; i < y.length; i++) {
      expected[i] = (byte) codebook.encode(y[i]);
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray codes = DeviceCodes.nearestCodes(manager.create(y), codebook);
      assertArrayEquals(expected, codes.toType(DataType.INT8, false).toByteArray());
    }
  }
}
