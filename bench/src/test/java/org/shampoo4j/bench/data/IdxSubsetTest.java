package org.shampoo4j.bench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxSubsetTest {
  @TempDir Path tmp;

  /** A small generated data set of 28x28 images in the standard gzipped IDX layout. */
  static Path generated(Path dir, int train, int test, long seed) throws IOException {
    Random r = new Random(seed);
    Files.createDirectories(dir);
    byte[] trainPx = new byte[train * 28 * 28];
    r.nextBytes(trainPx);
    byte[] testPx = new byte[test * 28 * 28];
    r.nextBytes(testPx);
    IdxWriter.writeImages(dir.resolve("train-images-idx3-ubyte.gz"), trainPx, train, 28, 28);
    IdxWriter.writeLabels(dir.resolve("train-labels-idx1-ubyte.gz"), labels(r, train));
    IdxWriter.writeImages(dir.resolve("t10k-images-idx3-ubyte.gz"), testPx, test, 28, 28);
    IdxWriter.writeLabels(dir.resolve("t10k-labels-idx1-ubyte.gz"), labels(r, test));
    return dir;
  }

  private static int[] labels(Random r, int n) {
    int[] l = new int[n];
    for (int i = 0; i < n; i++) {
      l[i] = r.nextInt(10);
    }
    return l;
  }

  @Test
  void writerAndReaderRoundTrip() throws IOException {
    byte[] px = new byte[3 * 2 * 5];
    new Random(7).nextBytes(px);
    Path img = tmp.resolve("i.gz");
    IdxWriter.writeImages(img, px, 3, 2, 5);
    IdxReader.RawImages raw = IdxReader.readRawImages(img, 10);
    assertArrayEquals(px, raw.bytes());
    assertEquals(3, raw.declaredCount());
    assertEquals(2, raw.rows());
    assertEquals(5, raw.cols());
    Path lab = tmp.resolve("l.gz");
    IdxWriter.writeLabels(lab, new int[] {0, 9, 255});
    assertArrayEquals(new int[] {0, 9, 255}, IdxReader.readLabels(lab, 10));
    assertThrows(IllegalArgumentException.class,
        () -> IdxWriter.writeLabels(tmp.resolve("x.gz"), new int[] {256}));
    assertThrows(IllegalArgumentException.class,
        () -> IdxWriter.writeImages(tmp.resolve("y.gz"), px, 4, 2, 5));
  }

  @Test
  void subsetHoldsTheFirstImagesAndLoadsLikeTheOriginal() throws IOException {
    Path full = generated(tmp.resolve("full"), 50, 20, 11);
    Path sub = tmp.resolve("sub");
    IdxSubset.write(full, sub, 12, 5);
    TrainTestSplit original = FashionMnist.load(full, 12, 5);
    TrainTestSplit subset = FashionMnist.load(sub, Integer.MAX_VALUE, Integer.MAX_VALUE);
    assertEquals(12, subset.train().size());
    assertEquals(5, subset.test().size());
    for (int i = 0; i < 12; i++) {
      assertArrayEquals(original.train().image(i), subset.train().image(i));
      assertEquals(original.train().label(i), subset.train().label(i));
    }
    assertArrayEquals(original.test().labels(), subset.test().labels());
  }

  @Test
  void subsetLargerThanTheSourceIsRefused() throws IOException {
    Path full = generated(tmp.resolve("full"), 10, 4, 12);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> IdxSubset.write(full, tmp.resolve("sub"), 11, 4));
    assertTrue(e.getMessage().contains("holds 10 images"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> IdxSubset.write(full, tmp.resolve("sub"), 0, 4));
  }

  @Test
  void missingFashionMnistSaysHowToInstallIt() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> FashionMnist.load(tmp.resolve("absent"), 10, 10));
    assertTrue(e.getMessage().contains("sudo apt-get install dataset-fashion-mnist"),
        e.getMessage());
  }

  @Test
  void fashionMnistImagesMustBe28By28() throws IOException {
    byte[] px = new byte[2 * 8 * 8];
    IdxWriter.writeImages(tmp.resolve("train-images-idx3-ubyte.gz"), px, 2, 8, 8);
    IdxWriter.writeLabels(tmp.resolve("train-labels-idx1-ubyte.gz"), new int[] {1, 2});
    IdxWriter.writeImages(tmp.resolve("t10k-images-idx3-ubyte.gz"), px, 2, 8, 8);
    IdxWriter.writeLabels(tmp.resolve("t10k-labels-idx1-ubyte.gz"), new int[] {1, 2});
    MalformedDataException e = assertThrows(MalformedDataException.class,
        () -> FashionMnist.load(tmp, 10, 10));
    assertTrue(e.getMessage().contains("28x28"), e.getMessage());
  }

  @Test
  void corruptGzipIsMalformedAndNamesTheFile() throws IOException {
    Path full = generated(tmp.resolve("full"), 10, 4, 13);
    Path images = full.resolve("train-images-idx3-ubyte.gz");
    byte[] gz = Files.readAllBytes(images);
    Files.write(images, java.util.Arrays.copyOf(gz, gz.length / 2)); // cut mid-stream
    MalformedDataException e = assertThrows(MalformedDataException.class,
        () -> FashionMnist.load(full, 100, 100));
    System.out.println("truncated gzip: " + e.getMessage());
    assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());

    byte[] garbage = gz.clone();
    for (int i = 20; i < garbage.length; i++) {
      garbage[i] = (byte) (i * 31);
    }
    Files.write(images, garbage);
    e = assertThrows(MalformedDataException.class, () -> FashionMnist.load(full, 100, 100));
    System.out.println("scrambled gzip: " + e.getMessage());
    assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
  }

  @Test
  void labelCountMismatchIsFoundEvenWhenALimitWouldHideIt() throws IOException {
    Path full = generated(tmp.resolve("full"), 10, 4, 14);
    IdxWriter.writeLabels(full.resolve("train-labels-idx1-ubyte.gz"), new int[9]);
    MalformedDataException e = assertThrows(MalformedDataException.class,
        () -> FashionMnist.load(full, 5, 5));
    assertTrue(e.getMessage().contains("train-labels-idx1-ubyte.gz: declares 9 labels but "
        + "train-images-idx3-ubyte.gz declares 10 images"), e.getMessage());
  }

  @Test
  void installedFashionMnistHasTheDocumentedShape() throws IOException {
    // Runs only where Debian's dataset-fashion-mnist package is installed.
    assumeTrue(FashionMnist.isPresent(FashionMnist.SYSTEM_DIRECTORY), "Fashion-MNIST installed");
    TrainTestSplit split = FashionMnist.load(FashionMnist.SYSTEM_DIRECTORY, 200, 100);
    assertEquals(200, split.train().size());
    assertEquals(28, split.train().height());
    assertEquals(10, split.train().classes());
    assertEquals(60_000, IdxReader.declaredCount(
        DataDirectory.idxFiles(FashionMnist.SYSTEM_DIRECTORY).trainImages(), 3));
    assertEquals(10_000, IdxReader.declaredCount(
        DataDirectory.idxFiles(FashionMnist.SYSTEM_DIRECTORY).testLabels(), 1));
    Path sub = tmp.resolve("sub");
    IdxSubset.write(FashionMnist.SYSTEM_DIRECTORY, sub, 100, 50);
    assertArrayEquals(split.train().image(99), FashionMnist.load(sub, 1000, 1000).train().image(99));
  }
}
