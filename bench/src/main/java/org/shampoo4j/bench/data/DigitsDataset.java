package org.shampoo4j.bench.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;

/**
 * The built-in UCI optdigits data (1,797 8×8 images of handwritten digits, pixels 0..16; CC BY
 * 4.0, Alpaydin and Kaynak; see {@code DIGITS-NOTICE.txt} next to the resource). It ships inside
 * the jar, so the default benchmark needs no download.
 */
public final class DigitsDataset {
  /** Classpath location of the gzipped CSV (64 pixels then the label per row). */
  public static final String RESOURCE = "/org/shampoo4j/bench/data/digits.csv.gz";

  /** Number of images in the resource. */
  public static final int SIZE = 1797;

  private static final int SIDE = 8;
  private static final float MAX_PIXEL = 16f;

  private DigitsDataset() {}

  /** All 1,797 images, pixels scaled to [0, 1], in file order. */
  public static LabeledImages load() {
    try (InputStream raw = DigitsDataset.class.getResourceAsStream(RESOURCE)) {
      if (raw == null) {
        throw new IllegalStateException("resource " + RESOURCE + " is missing from the classpath");
      }
      return parse(new GZIPInputStream(raw), "digits");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  /**
   * A seeded shuffle of the 1,797 images split into training and test parts.
   *
   * @param testFraction the share of images held out, in (0, 1)
   * @param seed the shuffle seed
   */
  public static TrainTestSplit split(double testFraction, long seed) {
    if (!(testFraction > 0 && testFraction < 1)) {
      throw new IllegalArgumentException("test fraction must be in (0, 1), got " + testFraction);
    }
    LabeledImages all = load();
    int[] order = Shuffle.permutation(all.size(), new Random(seed));
    int testSize = (int) Math.round(all.size() * testFraction);
    int[] test = java.util.Arrays.copyOfRange(order, 0, testSize);
    int[] train = java.util.Arrays.copyOfRange(order, testSize, order.length);
    return new TrainTestSplit(all.select("digits/train", train), all.select("digits/test", test));
  }

  static LabeledImages parse(InputStream csv, String name) throws IOException {
    BufferedReader reader =
        new BufferedReader(new InputStreamReader(csv, StandardCharsets.US_ASCII));
    List<float[]> rows = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    String line;
    int lineNo = 0;
    while ((line = reader.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      String[] cells = line.split(",");
      if (cells.length != SIDE * SIDE + 1) {
        throw new IOException(
            name + " line " + lineNo + ": expected 65 values, got " + cells.length);
      }
      float[] px = new float[SIDE * SIDE];
      for (int i = 0; i < px.length; i++) {
        px[i] = Float.parseFloat(cells[i].trim()) / MAX_PIXEL;
      }
      rows.add(px);
      labels.add((int) Float.parseFloat(cells[SIDE * SIDE].trim()));
    }
    float[] pixels = new float[rows.size() * SIDE * SIDE];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(rows.get(i), 0, pixels, i * SIDE * SIDE, SIDE * SIDE);
    }
    return new LabeledImages(
        name, pixels, labels.stream().mapToInt(Integer::intValue).toArray(), 1, SIDE, SIDE, 10);
  }
}
