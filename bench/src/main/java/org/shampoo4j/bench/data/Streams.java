package org.shampoo4j.bench.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Opens data files, transparently un-gzipping those that start with the gzip magic number. */
final class Streams {
  private Streams() {}

  /** A buffered stream of the file's (decompressed) bytes. */
  static InputStream open(Path file) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    if (b0 == 0x1f && b1 == 0x8b) {
      try {
        return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
      } catch (ZipException | EOFException e) {
        in.close();
        throw corrupt(file, e);
      }
    }
    return in;
  }

  /**
   * Reads exactly {@code buffer.length} bytes, or reports how many were missing.
   *
   * @param what what is being read, for the message
   */
  static void readFully(InputStream in, byte[] buffer, Path file, String what) throws IOException {
    int off = 0;
    while (off < buffer.length) {
      int n;
      try {
        n = in.read(buffer, off, buffer.length - off);
      } catch (ZipException | EOFException e) {
        throw corrupt(file, e);
      }
      if (n < 0) {
        throw new MalformedDataException(
            file, "truncated: " + what + " needs " + buffer.length + " bytes, found " + off);
      }
      off += n;
    }
  }

  private static MalformedDataException corrupt(Path file, IOException cause) {
    MalformedDataException e = new MalformedDataException(
        file, "corrupt or truncated gzip data (" + cause.getMessage() + ")");
    e.initCause(cause);
    return e;
  }
}
