package org.shampoo4j.bench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DataDirectoryTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void readsMnistStyleIdxFilesGzippedOrNot(boolean gzip) throws IOException {
    Random r = new Random(1);
    byte[][] trainImg = images(r, 6, 4, 3);
    byte[] trainLab = labels(r, 6);
    byte[][] testImg = images(r, 2, 4, 3);
    byte[] testLab = labels(r, 2);
    writeImages(dir, "train-images-idx3-ubyte", trainImg, 4, 3, gzip);
    writeLabels(dir, "train-labels-idx1-ubyte", trainLab, gzip);
    writeImages(dir, "t10k-images-idx3-ubyte", testImg, 4, 3, gzip);
    writeLabels(dir, "t10k-labels-idx1-ubyte", testLab, gzip);

    TrainTestSplit split = DataDirectory.load(dir, 100, 100);
    assertEquals(6, split.train().size());
    assertEquals(2, split.test().size());
    assertEquals(1, split.train().channels());
    assertEquals(4, split.train().height());
    assertEquals(3, split.train().width());
    for (int i = 0; i < 6; i++) {
      assertEquals(trainLab[i], split.train().label(i));
      assertArrayEquals(scaled(trainImg[i]), split.train().image(i));
    }
    assertArrayEquals(scaled(testImg[1]), split.test().image(1));

    TrainTestSplit limited = DataDirectory.load(dir, 4, 1);
    assertEquals(4, limited.train().size());
    assertEquals(1, limited.test().size());
    assertArrayEquals(scaled(trainImg[3]), limited.train().image(3));
  }

  @Test
  void readsCifarBinaryBatches() throws IOException {
    Random r = new Random(2);
    Path sub = Files.createDirectory(dir.resolve("cifar-10-batches-bin"));
    byte[] b1 = cifar(r, 3);
    byte[] b2 = cifar(r, 2);
    byte[] test = cifar(r, 2);
    Files.write(sub.resolve("data_batch_1.bin"), b1);
    Files.write(sub.resolve("data_batch_2.bin"), b2);
    Files.write(sub.resolve("test_batch.bin"), test);

    TrainTestSplit split = DataDirectory.load(dir, 100, 100);
    assertEquals(5, split.train().size());
    assertEquals(2, split.test().size());
    assertEquals(3, split.train().channels());
    assertEquals(32, split.train().height());
    // Record 0 of batch 2 is training image 3.
    int rec = CifarReader.RECORD;
    assertEquals(b2[0], split.train().label(3));
    assertEquals((b2[1] & 0xff) / 255f, split.train().image(3)[0]);
    assertEquals((b2[rec - 1] & 0xff) / 255f, split.train().image(3)[3071]);
    assertEquals(4, DataDirectory.load(dir, 4, 1).train().size());
  }

  @Test
  void missingDirectoryIsReported() {
    Path missing = dir.resolve("nope");
    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> DataDirectory.load(missing, 10, 10));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  @Test
  void fileInsteadOfDirectoryIsReported() throws IOException {
    Path file = Files.writeString(dir.resolve("f.txt"), "x");
    assertThrows(NotDirectoryException.class, () -> DataDirectory.load(file, 10, 10));
  }

  @Test
  void emptyDirectoryNamesTheExpectedFiles() {
    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> DataDirectory.load(dir, 10, 10));
    System.out.println("empty directory: " + e.getMessage());
    assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    assertTrue(e.getMessage().contains("data_batch_1.bin"), e.getMessage());
  }

  @Test
  void missingLabelFileIsNamed() throws IOException {
    writeImages(dir, "train-images-idx3-ubyte", images(new Random(3), 2, 2, 2), 2, 2, false);
    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> DataDirectory.load(dir, 10, 10));
    assertTrue(e.getMessage().contains("train-labels-idx1-ubyte"), e.getMessage());
  }

  @Test
  void truncatedOrWrongIdxFilesAreMalformed() throws IOException {
    Random r = new Random(4);
    writeLabels(dir, "train-labels-idx1-ubyte", labels(r, 3), false);
    writeImages(dir, "t10k-images-idx3-ubyte", images(r, 1, 2, 2), 2, 2, false);
    writeLabels(dir, "t10k-labels-idx1-ubyte", labels(r, 1), false);
    // Header claims 3 images of 2x2 but only 2 are present.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(0x00000803);
    out.writeInt(3);
    out.writeInt(2);
    out.writeInt(2);
    out.write(new byte[8]);
    Files.write(dir.resolve("train-images-idx3-ubyte"), bytes.toByteArray());
    MalformedDataException e =
        assertThrows(MalformedDataException.class, () -> DataDirectory.load(dir, 10, 10));
    System.out.println("truncated: " + e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());

    Files.write(dir.resolve("train-images-idx3-ubyte"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    e = assertThrows(MalformedDataException.class, () -> DataDirectory.load(dir, 10, 10));
    assertTrue(e.getMessage().contains("not an IDX file"), e.getMessage());

    // A label file where an image file belongs: wrong dimension count.
    Files.copy(dir.resolve("train-labels-idx1-ubyte"), dir.resolve("train-images-idx3-ubyte"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    e = assertThrows(MalformedDataException.class, () -> DataDirectory.load(dir, 10, 10));
    assertTrue(e.getMessage().contains("dimension"), e.getMessage());
  }

  @Test
  void cifarFileOfWrongSizeOrLabelIsMalformed() throws IOException {
    Files.write(dir.resolve("data_batch_1.bin"), new byte[CifarReader.RECORD + 5]);
    Files.write(dir.resolve("test_batch.bin"), cifar(new Random(5), 1));
    MalformedDataException e =
        assertThrows(MalformedDataException.class, () -> DataDirectory.load(dir, 10, 10));
    assertTrue(e.getMessage().contains("record size"), e.getMessage());

    byte[] bad = new byte[CifarReader.RECORD];
    bad[0] = 12;
    Files.write(dir.resolve("data_batch_1.bin"), bad);
    e = assertThrows(MalformedDataException.class, () -> DataDirectory.load(dir, 10, 10));
    assertTrue(e.getMessage().contains("label 12"), e.getMessage());
  }

  @Test
  void cifarWithoutTestBatchIsReported() throws IOException {
    Files.write(dir.resolve("data_batch_1.bin"), cifar(new Random(6), 1));
    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> DataDirectory.load(dir, 10, 10));
    assertTrue(e.getMessage().contains("test_batch.bin"), e.getMessage());
  }

  private static float[] scaled(byte[] raw) {
    float[] f = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      f[i] = (raw[i] & 0xff) / 255f;
    }
    return f;
  }

  private static byte[][] images(Random r, int n, int rows, int cols) {
    byte[][] img = new byte[n][rows * cols];
    for (byte[] b : img) {
      r.nextBytes(b);
    }
    return img;
  }

  private static byte[] labels(Random r, int n) {
    byte[] l = new byte[n];
    for (int i = 0; i < n; i++) {
      l[i] = (byte) r.nextInt(10);
    }
    return l;
  }

  private static byte[] cifar(Random r, int n) {
    byte[] b = new byte[n * CifarReader.RECORD];
    r.nextBytes(b);
    for (int i = 0; i < n; i++) {
      b[i * CifarReader.RECORD] = (byte) r.nextInt(10);
    }
    return b;
  }

  private static void writeImages(Path dir, String name, byte[][] img, int rows, int cols,
      boolean gzip) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(0x00000803);
    out.writeInt(img.length);
    out.writeInt(rows);
    out.writeInt(cols);
    for (byte[] b : img) {
      out.write(b);
    }
    write(dir, name, bytes.toByteArray(), gzip);
  }

  private static void writeLabels(Path dir, String name, byte[] labels, boolean gzip)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(0x00000801);
    out.writeInt(labels.length);
    out.write(labels);
    write(dir, name, bytes.toByteArray(), gzip);
  }

  private static void write(Path dir, String name, byte[] data, boolean gzip) throws IOException {
    if (!gzip) {
      Files.write(dir.resolve(name), data);
      return;
    }
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve(name + ".gz")))) {
      out.write(data);
    }
  }
}
