package org.shampoo4j.bench.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads CIFAR-10's binary batches: records of one label byte (0..9) followed by 3,072 pixel bytes
 * (the red, green and blue 32×32 planes, row-major). Files must hold a whole number of records.
 */
public final class CifarReader {
  /** Image side. */
  public static final int SIDE = 32;
  /** Colour planes. */
  public static final int CHANNELS = 3;
  /** Bytes per record: the label and the pixels. */
  public static final int RECORD = 1 + CHANNELS * SIDE * SIDE;
  /** Classes of CIFAR-10. */
  public static final int CLASSES = 10;

  private CifarReader() {}

  /**
   * Appends up to {@code limit} records of {@code file} to {@code sink}.
   *
   * @return how many records were read
   */
  public static int read(Path file, int limit, Sink sink) throws IOException {
    long size = Files.size(file);
    if (size == 0 || size % RECORD != 0) {
      throw new MalformedDataException(file, "size " + size + " bytes is not a positive multiple "
          + "of the CIFAR-10 record size " + RECORD + " (1 label byte + 3072 pixel bytes)");
    }
    int records = (int) Math.min(size / RECORD, limit);
    byte[] record = new byte[RECORD];
    float[] pixels = new float[RECORD - 1];
    try (InputStream in = Streams.open(file)) {
      for (int r = 0; r < records; r++) {
        Streams.readFully(in, record, file, "record " + r);
        int label = record[0] & 0xff;
        if (label >= CLASSES) {
          throw new MalformedDataException(
              file, "record " + r + " has label " + label + ", CIFAR-10 labels are 0..9");
        }
        for (int i = 1; i < RECORD; i++) {
          pixels[i - 1] = (record[i] & 0xff) / 255f;
        }
        sink.accept(pixels, label);
      }
    }
    return records;
  }

  /** Receives decoded records; the pixel array is reused between calls, so copy it. */
  @FunctionalInterface
  public interface Sink {
    /** One record: 3,072 pixels in [0, 1] and its label. */
    void accept(float[] pixels, int label);
  }
}
