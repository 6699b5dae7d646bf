package org.shampoo4j.bench.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST (gzipped or not): a 4-byte magic number (two
 * zero bytes, the element type {@code 0x08} for unsigned bytes, the number of dimensions), the
 * dimensions as big-endian int32, then the data.
 */
public final class IdxReader {
  private static final int UNSIGNED_BYTE = 0x08;

  private IdxReader() {}

  /**
   * Reads an image file ({@code n×rows×cols} unsigned bytes) as pixels scaled to [0, 1].
   *
   * @param file the {@code *-images-idx3-ubyte[.gz]} file
   * @param limit read at most this many images
   * @return the pixels and the image shape
   */
  public static Images readImages(Path file, int limit) throws IOException {
    RawImages raw = readRawImages(file, limit);
    float[] pixels = new float[raw.bytes().length];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (raw.bytes()[i] & 0xff) / 255f;
    }
    return new Images(pixels, raw.count(), raw.rows(), raw.cols(), raw.declaredCount());
  }

  /**
   * Reads an image file's bytes as stored ({@code count·rows·cols} unsigned bytes).
   *
   * @param file the {@code *-images-idx3-ubyte[.gz]} file
   * @param limit read at most this many images
   */
  public static RawImages readRawImages(Path file, int limit) throws IOException {
    try (InputStream in = Streams.open(file)) {
      int[] dims = header(in, file, 3);
      int count = Math.min(dims[0], limit);
      int perImage = Math.multiplyExact(dims[1], dims[2]);
      byte[] raw = new byte[Math.multiplyExact(count, perImage)];
      Streams.readFully(in, raw, file, count + " images of " + dims[1] + "x" + dims[2]);
      return new RawImages(raw, count, dims[1], dims[2], dims[0]);
    }
  }

  /**
   * The number of items an IDX file declares in its header (its first dimension), without
   * reading the data.
   *
   * @param dimensions the dimensions the file must have (3 for images, 1 for labels)
   */
  public static int declaredCount(Path file, int dimensions) throws IOException {
    try (InputStream in = Streams.open(file)) {
      return header(in, file, dimensions)[0];
    }
  }

  /**
   * Checks that an IDX file holds exactly the data its header declares ({@code count × item
   * size} bytes after the header, read through for a {@code .gz}), however few items a run
   * reads: a cut file is refused before training, not when a later run reads further.
   *
   * @param dimensions the dimensions the file must have (3 for images, 1 for labels)
   * @throws MalformedDataException naming the file if it is cut or has bytes after the data
   */
  public static void requireComplete(Path file, int dimensions) throws IOException {
    try (InputStream in = Streams.open(file)) {
      int[] dims = header(in, file, dimensions);
      long expected = 1;
      for (int d : dims) {
        expected *= d;
      }
      byte[] buf = new byte[1 << 16];
      long found = 0;
      try {
        for (int n; (n = in.read(buf)) > 0; ) {
          found += n;
        }
      } catch (java.io.EOFException | java.util.zip.ZipException e) {
        throw new MalformedDataException(file, "is truncated or corrupt: the compressed stream breaks "
            + "after " + found + " of the " + expected + " data bytes its header declares ("
            + dims[0] + " items): " + e.getMessage());
      }
      if (found < expected) {
        throw new MalformedDataException(file, "is truncated: " + found + " of the " + expected
            + " data bytes its header declares (" + dims[0] + " items)");
      }
      if (found > expected) {
        throw new MalformedDataException(file, "has " + (found - expected) + " bytes after the "
            + expected + " data bytes its header declares");
      }
    }
  }

  /**
   * Reads a label file ({@code n} unsigned bytes).
   *
   * @param file the {@code *-labels-idx1-ubyte[.gz]} file
   * @param limit read at most this many labels
   */
  public static int[] readLabels(Path file, int limit) throws IOException {
    try (InputStream in = Streams.open(file)) {
      int[] dims = header(in, file, 1);
      int count = Math.min(dims[0], limit);
      byte[] raw = new byte[count];
      Streams.readFully(in, raw, file, count + " labels");
      int[] labels = new int[count];
      for (int i = 0; i < count; i++) {
        labels[i] = raw[i] & 0xff;
      }
      return labels;
    }
  }

  private static int[] header(InputStream in, Path file, int expectedDims) throws IOException {
    byte[] magic = new byte[4];
    Streams.readFully(in, magic, file, "the IDX magic number");
    if (magic[0] != 0 || magic[1] != 0) {
      throw new MalformedDataException(file, "not an IDX file (magic number starts with "
          + String.format("0x%02x%02x", magic[0], magic[1]) + ", expected 0x0000)");
    }
    if ((magic[2] & 0xff) != UNSIGNED_BYTE) {
      throw new MalformedDataException(file, String.format(
          "IDX element type 0x%02x is not supported (only unsigned bytes, 0x08)", magic[2]));
    }
    int dims = magic[3] & 0xff;
    if (dims != expectedDims) {
      throw new MalformedDataException(
          file, "expected an IDX file of " + expectedDims + " dimension(s), found " + dims);
    }
    byte[] raw = new byte[4 * dims];
    Streams.readFully(in, raw, file, "the IDX dimensions");
    ByteBuffer buf = ByteBuffer.wrap(raw);
    int[] sizes = new int[dims];
    for (int i = 0; i < dims; i++) {
      sizes[i] = buf.getInt();
      if (sizes[i] <= 0) {
        throw new MalformedDataException(file, "IDX dimension " + i + " is " + sizes[i]);
      }
    }
    return sizes;
  }

  /**
   * Images read from an IDX file.
   *
   * @param pixels {@code count·rows·cols} values in [0, 1]
   * @param count number of images
   * @param rows image height
   * @param cols image width
   * @param declaredCount number of images the file's header declares (at least {@code count})
   */
  public record Images(float[] pixels, int count, int rows, int cols, int declaredCount) {}

  /**
   * Image bytes read from an IDX file.
   *
   * @param bytes {@code count·rows·cols} unsigned bytes
   * @param count number of images read
   * @param rows image height
   * @param cols image width
   * @param declaredCount number of images the file's header declares
   */
  public record RawImages(byte[] bytes, int count, int rows, int cols, int declaredCount) {}
}
