package org.shampoo4j.bench.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shampoo4j.bench.cli.BenchCommand;
import picocli.CommandLine;

/**
 * A data file cut short is refused whatever {@code --max-*} asks for: its full size is checked
 * against its IDX header (count × item size) before training, gzipped or not. Before, a test
 * image file cut to 100 kB passed with {@code --max-test 200}, because only the first 200 images
 * were read.
 */
class TruncatedDataTest {
  private static final int TRAIN = 600;
  private static final int TEST = 400;

  @TempDir Path dir;

  @BeforeEach
  void writeData() throws IOException {
    Random r = new Random(11);
    write("train", TRAIN, r);
    write("t10k", TEST, r);
  }

  private void write(String part, int n, Random r) throws IOException {
    byte[] px = new byte[n * 28 * 28];
    r.nextBytes(px); // random bytes do not compress: the .gz is about as large as the data
    IdxWriter.writeImages(dir.resolve(part + "-images-idx3-ubyte.gz"), px, n, 28, 28);
    int[] labels = new int[n];
    Arrays.setAll(labels, i -> i % 10);
    IdxWriter.writeLabels(dir.resolve(part + "-labels-idx1-ubyte.gz"), labels);
  }

  private static void cut(Path file, int keep) throws IOException {
    Files.write(file, Arrays.copyOf(Files.readAllBytes(file), keep));
  }

  @Test
  void aGzipCutTo100kBIsRefusedEvenWhenTheLimitIsBelowTheCut() throws IOException {
    Path images = dir.resolve("t10k-images-idx3-ubyte.gz");
    assertTrue(Files.size(images) > 200_000, "fixture larger than the cut");
    cut(images, 100_000);
    // 200 test images (156,800 bytes) would be more than the cut, 50 (39,200) well below it.
    MalformedDataException e = assertThrows(MalformedDataException.class,
        () -> DataDirectory.load(dir, 50, 50));
    assertTrue(e.getMessage().contains(images.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = BenchCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute("--data", dir.toString(), "--max-train", "50", "--max-test", "20",
        "--variants", "sgd", "--epochs", "1", "--width", "8", "--no-progress", "--no-charts",
        "--out", dir.resolve("out").toString());
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains(images.getFileName().toString()), err.toString());
    assertFalse(out.toString().contains("epoch 1/"), out.toString());
  }

  @Test
  void anUncompressedFileCutShortOrTooLongIsRefused() throws IOException {
    Path labels = dir.resolve("train-labels-idx1-ubyte.gz");
    Path plain = dir.resolve("train-labels-idx1-ubyte");
    byte[] all;
    try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(labels))) {
      all = in.readAllBytes();
    }
    Files.delete(labels);
    Files.write(plain, Arrays.copyOf(all, all.length - 1));
    MalformedDataException e = assertThrows(MalformedDataException.class,
        () -> DataDirectory.load(dir, 10, 10));
    assertTrue(e.getMessage().contains("truncated: " + (TRAIN - 1) + " of the " + TRAIN),
        e.getMessage());
    Files.write(plain, Arrays.copyOf(all, all.length + 3));
    e = assertThrows(MalformedDataException.class, () -> DataDirectory.load(dir, 10, 10));
    assertTrue(e.getMessage().contains("has 3 bytes after"), e.getMessage());
    Files.write(plain, all);
    assertEquals(10, DataDirectory.load(dir, 10, 10).train().size());
  }
}
