package org.shampoo4j.bench.data;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Writes MNIST-style IDX files (unsigned bytes), gzipped, in the layout {@link IdxReader} reads:
 * magic {@code 0x0000080N}, the dimensions as big-endian int32, the data.
 */
public final class IdxWriter {
  private static final int UNSIGNED_BYTE_MAGIC = 0x0800;

  private IdxWriter() {}

  /**
   * Writes {@code count} images of {@code rows×cols} bytes to a gzipped IDX file.
   *
   * @param bytes at least {@code count·rows·cols} bytes; only that many are written
   */
  public static void writeImages(Path file, byte[] bytes, int count, int rows, int cols)
      throws IOException {
    long size = (long) count * rows * cols;
    if (count < 0 || rows < 1 || cols < 1 || size > bytes.length) {
      throw new IllegalArgumentException(count + " images of " + rows + "x" + cols + " need "
          + size + " bytes, got " + bytes.length);
    }
    write(file, new int[] {count, rows, cols}, bytes, (int) size);
  }

  /** Writes labels (each 0..255) to a gzipped IDX file. */
  public static void writeLabels(Path file, int[] labels) throws IOException {
    byte[] bytes = new byte[labels.length];
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] > 255) {
        throw new IllegalArgumentException("label " + i + " is " + labels[i] + ", not a byte");
      }
      bytes[i] = (byte) labels[i];
    }
    write(file, new int[] {labels.length}, bytes, bytes.length);
  }

  private static void write(Path file, int[] dims, byte[] data, int length) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
        new GZIPOutputStream(Files.newOutputStream(file), 1 << 16), 1 << 16))) {
      out.writeInt(UNSIGNED_BYTE_MAGIC | dims.length);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.write(data, 0, length);
    }
  }
}
