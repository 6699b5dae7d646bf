package org.shampoo4j.shampoo.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Laws of the file format alone (no optimizer): what is written reads back equal, and every
 * proper prefix or single flipped byte of a file is rejected with an {@link
 * InvalidCheckpointException}, never another exception.
 */
class CheckpointFileLawsTest {
  private static final DataType[] TYPES = {DataType.FLOAT32, DataType.UINT8, DataType.INT64,
      DataType.FLOAT16, DataType.BOOLEAN};

  @Property(tries = 60, seed = "15")
  void writeThenReadIsTheIdentity(@ForAll("seeds") long seed) throws IOException {
    CheckpointContents contents = random(new Random(seed));
    assertEquals(contents, read(write(contents)));
    assertEquals(write(contents).length, CheckpointFile.size(contents));
  }

  @Property(tries = 40, seed = "15")
  void damagedFilesAreRejectedWithAMessage(@ForAll("seeds") long seed,
      @ForAll @IntRange(min = 0, max = 1_000_000) int where) throws IOException {
    byte[] file = write(random(new Random(seed)));
    int at = where % file.length;
    assertThrows(InvalidCheckpointException.class, () -> read(Arrays.copyOf(file, at)));
    byte[] flipped = file.clone();
    flipped[at] ^= (byte) (1 + where % 255);
    assertThrows(InvalidCheckpointException.class, () -> read(flipped));
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<Long> seeds() {
    return net.jqwik.api.Arbitraries.longs();
  }

  private static CheckpointContents random(Random r) {
    Fingerprint.Builder fingerprint = Fingerprint.builder();
    for (int i = r.nextInt(4); i > 0; i--) {
      fingerprint.put("key" + i, "värde " + r.nextInt());
    }
    Map<String, Long> counters = new LinkedHashMap<>();
    counters.put("skippedUpdates", (long) r.nextInt(10));
    List<ParameterRecord> parameters = new ArrayList<>();
    for (int p = r.nextInt(4); p > 0; p--) {
      StateSnapshot.Builder state = StateSnapshot.builder();
      for (int c = r.nextInt(3); c > 0; c--) {
        state.counter("c" + c, r.nextLong());
      }
      for (int a = r.nextInt(4); a > 0; a--) {
        DataType type = TYPES[r.nextInt(TYPES.length)];
        long[] dims = new long[r.nextInt(3)];
        for (int d = 0; d < dims.length; d++) {
          dims[d] = r.nextInt(5);
        }
        Shape shape = new Shape(dims);
        byte[] data = new byte[(int) (shape.size() * type.getNumOfBytes())];
        r.nextBytes(data);
        state.array("block" + a + ".x", new HostArray(type, shape, data));
      }
      parameters.add(new ParameterRecord("p" + p, new Shape(r.nextInt(9), 3), state.build()));
    }
    return new CheckpointContents("kind" + r.nextInt(3), fingerprint.build(), counters,
        parameters);
  }

  private static byte[] write(CheckpointContents c) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointFile.write(out, c);
    return out.toByteArray();
  }

  private static CheckpointContents read(byte[] bytes) throws IOException {
    return CheckpointFile.read(new ByteArrayInputStream(bytes));
  }
}
