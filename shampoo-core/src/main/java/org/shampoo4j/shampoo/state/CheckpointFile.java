package org.shampoo4j.shampoo.state;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The binary checkpoint format, version {@value #VERSION} (described in shampoo-core's README,
 * section FORMAT). A file is the 8-byte {@link #MAGIC}, a 4-byte version, then sections: a header
 * (kind, fingerprint, parameter count), one section per parameter (name, shape, counters,
 * arrays) and an end section (optimizer-wide counters, parameter count again). Each section is
 * {@code type (1 byte), payload length (8 bytes), payload, CRC-32 (4 bytes)} with the CRC over
 * type, length and payload. Integers are big-endian; array data is raw little-endian, exactly as
 * the device holds it.
 *
 * <p>Reading parses and checks the whole file before anything is returned: every length read from
 * the file is checked against what remains before anything of that size is allocated (payloads
 * are read in bounded chunks, so a length that lies about a truncated file fails at its end),
 * every checksum is verified, and the file must end right after the end section. Errors are
 * {@link InvalidCheckpointException}s saying what is wrong and at which byte offset.
 */
public final class CheckpointFile {
  /** The first bytes of every checkpoint: a non-ASCII byte, "S4JCKP", a newline. */
  public static final byte[] MAGIC = {(byte) 0x89, 'S', '4', 'J', 'C', 'K', 'P', '\n'};

  /** The format version this class writes and reads. */
  public static final int VERSION = 1;

  /** Bytes of a section's frame: type, length and checksum. */
  public static final int SECTION_FRAME_BYTES = 1 + 8 + 4;

  /** The largest section payload accepted (one parameter's state). */
  public static final long MAX_SECTION_BYTES = Integer.MAX_VALUE - 64;

  private static final int HEADER = 1;
  private static final int PARAMETER = 2;
  private static final int END = 3;
  private static final int CHUNK = 1 << 20;
  private static final int MAX_RANK = 32;

  private CheckpointFile() {}

  /** Writes {@code contents} to {@code out} (which stays open). */
  public static void write(OutputStream out, CheckpointContents contents) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.write(MAGIC);
    data.writeInt(VERSION);
    writeSection(data, HEADER, p -> {
      p.writeUTF(contents.kind());
      p.writeInt(contents.fingerprint().entries().size());
      for (Map.Entry<String, String> e : contents.fingerprint().entries().entrySet()) {
        p.writeUTF(e.getKey());
        p.writeUTF(e.getValue());
      }
      p.writeInt(contents.parameters().size());
    });
    for (ParameterRecord r : contents.parameters()) {
      writeSection(data, PARAMETER, p -> {
        p.writeUTF(r.name());
        writeShape(p, r.shape());
        writeCounters(p, r.state().counters());
        p.writeInt(r.state().arrays().size());
        for (Map.Entry<String, HostArray> e : r.state().arrays().entrySet()) {
          HostArray a = e.getValue();
          p.writeUTF(e.getKey());
          p.writeByte(StateDataTypes.code(a.dataType()));
          writeShape(p, a.shape());
          a.writeTo(p);
        }
      });
    }
    writeSection(data, END, p -> {
      writeCounters(p, contents.counters());
      p.writeInt(contents.parameters().size());
    });
    data.flush();
  }

  /** Bytes {@link #write} produces for {@code contents}, without writing them. */
  public static long size(CheckpointContents contents) throws IOException {
    CountingSink sink = new CountingSink();
    write(sink, contents);
    return sink.count;
  }

  /**
   * Reads and checks a whole checkpoint from {@code in} (which stays open).
   *
   * @throws InvalidCheckpointException if the file is truncated, corrupted, of another format or
   *     version, or has bytes after its end
   */
  public static CheckpointContents read(InputStream in) throws IOException {
    Position pos = new Position(in);
    byte[] magic = pos.readFully(MAGIC.length, "the magic number");
    if (!Arrays.equals(magic, MAGIC)) {
      throw new InvalidCheckpointException("not a Shampoo4j checkpoint: wrong magic number "
          + hex(magic) + " at offset 0, expected " + hex(MAGIC));
    }
    int version = ByteBuffer.wrap(pos.readFully(4, "the format version")).getInt();
    if (version != VERSION) {
      throw new InvalidCheckpointException("unsupported checkpoint format version " + version
          + " at offset 8; this build reads version " + VERSION);
    }
    Section header = readSection(pos, "header");
    requireType(header, HEADER);
    String kind;
    Fingerprint.Builder fingerprint = Fingerprint.builder();
    int parameterCount;
    {
      Payload p = header.payload();
      kind = p.utf("kind");
      int n = p.count("fingerprint entries", 4);
      for (int i = 0; i < n; i++) {
        String key = p.utf("fingerprint key");
        fingerprint.put(key, p.utf("fingerprint value of '" + key + "'"));
      }
      // Parameters follow in sections of their own, each read with its own bounds.
      parameterCount = p.readInt("the number of parameters");
      if (parameterCount < 0) {
        throw new InvalidCheckpointException("the header at offset " + header.offset
            + " declares " + parameterCount + " parameters");
      }
      p.finish();
    }
    List<ParameterRecord> parameters = new ArrayList<>();
    for (int i = 0; i < parameterCount; i++) {
      Section s = readSection(pos, "parameter #" + i);
      requireType(s, PARAMETER);
      parameters.add(parseParameter(s));
    }
    Section end = readSection(pos, "end");
    requireType(end, END);
    Map<String, Long> counters;
    {
      Payload p = end.payload();
      counters = readCounters(p);
      int again = p.readInt("parameter count");
      if (again != parameterCount) {
        throw new InvalidCheckpointException("end section at offset " + end.offset + " counts "
            + again + " parameters, the header " + parameterCount);
      }
      p.finish();
    }
    if (in.read() != -1) {
      throw new InvalidCheckpointException(
          "unexpected bytes after the end section, at offset " + pos.offset);
    }
    try {
      return new CheckpointContents(kind, fingerprint.build(), counters, parameters);
    } catch (IllegalArgumentException e) {
      throw new InvalidCheckpointException("checkpoint is inconsistent: " + e.getMessage(), e);
    }
  }

  private static ParameterRecord parseParameter(Section s) throws IOException {
    Payload p = s.payload();
    String name = p.utf("parameter name");
    Shape shape = p.shape("shape of '" + name + "'");
    StateSnapshot.Builder state = StateSnapshot.builder();
    readCounters(p).forEach(state::counter);
    int arrays = p.count("arrays of '" + name + "'", 2 + 1 + 4);
    for (int i = 0; i < arrays; i++) {
      String key = p.utf("array name");
      String where = "array '" + key + "' of parameter '" + name + "'";
      int code = p.readByte(where);
      DataType type = StateDataTypes.of(code);
      if (type == null) {
        throw new InvalidCheckpointException(
            where + " has unknown data type code " + code + " (section at offset " + s.offset + ")");
      }
      Shape arrayShape = p.shape(where);
      long bytes = Math.multiplyExact(arrayShape.size(), (long) type.getNumOfBytes());
      byte[] data = p.bytes(bytes, where);
      try {
        state.array(key, HostArray.wrap(type, arrayShape, data));
      } catch (IllegalArgumentException e) {
        throw new InvalidCheckpointException(where + ": " + e.getMessage(), e);
      }
    }
    p.finish();
    return new ParameterRecord(name, shape, state.build());
  }

  private static void requireType(Section s, int type) throws InvalidCheckpointException {
    if (s.type != type) {
      throw new InvalidCheckpointException("section '" + s.name + "' at offset " + s.offset
          + " has type " + s.type + ", expected " + type);
    }
  }

  private static Map<String, Long> readCounters(Payload p) throws IOException {
    int n = p.count("counters", 2 + 8);
    Map<String, Long> out = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      String key = p.utf("counter name");
      if (out.put(key, p.readLong("counter '" + key + "'")) != null) {
        throw new InvalidCheckpointException("counter '" + key + "' appears twice");
      }
    }
    return out;
  }

  private static void writeCounters(DataOutputStream p, Map<String, Long> counters)
      throws IOException {
    p.writeInt(counters.size());
    for (Map.Entry<String, Long> e : counters.entrySet()) {
      p.writeUTF(e.getKey());
      p.writeLong(e.getValue());
    }
  }

  private static void writeShape(DataOutputStream p, Shape shape) throws IOException {
    p.writeByte(shape.dimension());
    for (long d : shape.getShape()) {
      p.writeLong(d);
    }
  }

  private interface PayloadWriter {
    void write(DataOutputStream payload) throws IOException;
  }

  private static void writeSection(DataOutputStream out, int type, PayloadWriter writer)
      throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    writer.write(new DataOutputStream(buffer));
    byte[] payload = buffer.toByteArray();
    byte[] frame = ByteBuffer.allocate(9).put((byte) type).putLong(payload.length).array();
    CRC32 crc = new CRC32();
    crc.update(frame);
    crc.update(payload);
    out.write(frame);
    out.write(payload);
    out.writeInt((int) crc.getValue());
  }

  private static Section readSection(Position pos, String name) throws IOException {
    long offset = pos.offset;
    byte[] frame = pos.readFully(9, "the frame of section '" + name + "'");
    ByteBuffer b = ByteBuffer.wrap(frame);
    int type = b.get() & 0xff;
    long length = b.getLong();
    if (length < 0 || length > MAX_SECTION_BYTES) {
      throw new InvalidCheckpointException("section '" + name + "' at offset " + offset
          + " declares an impossible length " + length + " (corrupted file)");
    }
    byte[] payload = pos.readFully(length, "section '" + name + "' (" + length + " bytes)");
    int stored = ByteBuffer.wrap(pos.readFully(4, "the checksum of section '" + name + "'"))
        .getInt();
    CRC32 crc = new CRC32();
    crc.update(frame);
    crc.update(payload);
    if ((int) crc.getValue() != stored) {
      throw new InvalidCheckpointException("checksum mismatch in section '" + name
          + "' at offset " + offset + " (" + length + " bytes): the file is corrupted");
    }
    return new Section(name, type, offset, payload);
  }

  private static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte x : bytes) {
      sb.append(String.format("%02x", x & 0xff));
    }
    return sb.toString();
  }

  /** A section read and checksummed; its payload is parsed with bounds checks. */
  private record Section(String name, int type, long offset, byte[] bytes) {
    Payload payload() {
      return new Payload(this);
    }
  }

  /** Bounds-checked reads from a section's payload, with messages naming the section. */
  private static final class Payload {
    private final Section section;
    private final DataInputStream in;
    private long remaining;

    Payload(Section section) {
      this.section = section;
      this.in = new DataInputStream(new ByteArrayInputStream(section.bytes));
      this.remaining = section.bytes.length;
    }

    private void need(long n, String what) throws InvalidCheckpointException {
      if (n < 0 || n > remaining) {
        throw new InvalidCheckpointException(what + " needs " + n + " bytes but only " + remaining
            + " remain in section '" + section.name + "' at offset " + section.offset);
      }
      remaining -= n;
    }

    int readByte(String what) throws IOException {
      need(1, what);
      return in.readUnsignedByte();
    }

    int readInt(String what) throws IOException {
      need(4, what);
      return in.readInt();
    }

    long readLong(String what) throws IOException {
      need(8, what);
      return in.readLong();
    }

    /** A count of items each at least {@code minBytes} long, checked against what remains. */
    int count(String what, int minBytes) throws IOException {
      int n = readInt("the number of " + what);
      if (n < 0 || (long) n * minBytes > remaining) {
        throw new InvalidCheckpointException("section '" + section.name + "' at offset "
            + section.offset + " declares " + n + " " + what + ", more than its "
            + remaining + " remaining bytes can hold");
      }
      return n;
    }

    String utf(String what) throws IOException {
      need(2, what);
      int length = in.readUnsignedShort();
      need(length, what);
      byte[] bytes = new byte[length];
      in.readFully(bytes);
      // Re-read through DataInputStream's modified UTF-8 decoder.
      ByteBuffer framed = ByteBuffer.allocate(2 + length).putShort((short) length).put(bytes);
      try {
        return new DataInputStream(new ByteArrayInputStream(framed.array())).readUTF();
      } catch (IOException e) {
        throw new InvalidCheckpointException(what + " in section '" + section.name
            + "' is not valid text", e);
      }
    }

    Shape shape(String what) throws IOException {
      int rank = readByte("the rank of " + what);
      if (rank > MAX_RANK) {
        throw new InvalidCheckpointException(what + " has rank " + rank + " (at most " + MAX_RANK
            + ") in section '" + section.name + "'");
      }
      long[] dims = new long[rank];
      long size = 1;
      for (int i = 0; i < rank; i++) {
        dims[i] = readLong("a dimension of " + what);
        if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
          throw new InvalidCheckpointException(what + " has an impossible dimension " + dims[i]
              + " in section '" + section.name + "' at offset " + section.offset);
        }
        size = Math.multiplyExact(size, Math.max(1, dims[i]));
        if (size > MAX_SECTION_BYTES) {
          throw new InvalidCheckpointException(what + " has more elements than a section holds"
              + " (section '" + section.name + "' at offset " + section.offset + ")");
        }
      }
      return new Shape(dims);
    }

    byte[] bytes(long n, String what) throws IOException {
      need(n, what);
      byte[] out = new byte[(int) n];
      in.readFully(out);
      return out;
    }

    void finish() throws InvalidCheckpointException {
      if (remaining != 0) {
        throw new InvalidCheckpointException("section '" + section.name + "' at offset "
            + section.offset + " has " + remaining + " unexpected bytes at its end");
      }
    }
  }

  /** The input with its byte offset, reading lengths from the file in bounded chunks. */
  private static final class Position {
    private final InputStream in;
    private long offset;

    Position(InputStream in) {
      this.in = in;
    }

    byte[] readFully(long n, String what) throws IOException {
      // Never allocate what the file merely claims: grow by at most CHUNK per read.
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(n, CHUNK));
      byte[] chunk = new byte[(int) Math.min(n, CHUNK)];
      long left = n;
      while (left > 0) {
        int r = in.read(chunk, 0, (int) Math.min(left, chunk.length));
        if (r < 0) {
          throw new InvalidCheckpointException("truncated checkpoint: the file ends at offset "
              + (offset + (n - left)) + " inside " + what + " starting at offset " + offset);
        }
        out.write(chunk, 0, r);
        left -= r;
      }
      offset += n;
      return out.toByteArray();
    }
  }

  /** Counts bytes instead of writing them. */
  private static final class CountingSink extends OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }
}
