package org.shampoo4j.bench.train;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.bench.random.Lcg48;

/**
 * The random generators of a run as plain bytes, big-endian: the magic {@code "S4RG"}, the format
 * version (int32, {@value #VERSION}), the number of generators (int32), then each generator's
 * 48-bit state (int64). Nothing else is read from the file: no classes are named or loaded.
 */
final class GeneratorStateFile {
  private static final int MAGIC = 0x53345247; // "S4RG"
  private static final int VERSION = 1;
  private static final int HEADER_BYTES = 12;

  private GeneratorStateFile() {}

  /** Writes the states of {@code generators}, in order. */
  static void write(Path file, List<Lcg48> generators) throws IOException {
    try (DataOutputStream out = new DataOutputStream(
        new BufferedOutputStream(Files.newOutputStream(file)))) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(generators.size());
      for (Lcg48 g : generators) {
        out.writeLong(g.state());
      }
    }
  }

  /**
   * Reads {@code expected} generators.
   *
   * @throws DamagedCheckpointException naming the file if it is not exactly such a file
   */
  static List<Lcg48> read(Path file, int expected) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length < HEADER_BYTES) {
      throw new DamagedCheckpointException(file, "holds " + bytes.length + " bytes, less than "
          + "the " + HEADER_BYTES + "-byte header of a generator-state file");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    if (buf.getInt() != MAGIC) {
      throw new DamagedCheckpointException(file, "is not a generator-state file (no 'S4RG' "
          + "magic; a checkpoint from before format version 1 held Java-serialized generators, "
          + "which are no longer read)");
    }
    int version = buf.getInt();
    if (version != VERSION) {
      throw new DamagedCheckpointException(file, "has generator-state format version " + version
          + ", this build reads version " + VERSION);
    }
    int count = buf.getInt();
    if (count != expected) {
      throw new DamagedCheckpointException(file, "holds " + count + " generator(s), expected "
          + expected);
    }
    if (buf.remaining() != 8L * count) {
      throw new DamagedCheckpointException(file, "holds " + bytes.length + " bytes, expected "
          + (HEADER_BYTES + 8L * count));
    }
    List<Lcg48> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      try {
        out.add(Lcg48.fromState(buf.getLong()));
      } catch (IllegalArgumentException e) {
        throw new DamagedCheckpointException(file, "generator " + i + ": " + e.getMessage());
      }
    }
    return out;
  }
}
