package org.shampoo4j.bench.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the first N training and M test images (with their labels) of an MNIST-style IDX data
 * set as a smaller, valid IDX data set (gzipped, standard file names) that {@link DataDirectory}
 * and {@link FashionMnist} read like the original. Used to carry a subset of Fashion-MNIST to a
 * machine where the full 30 MB do not fit.
 */
public final class IdxSubset {
  private IdxSubset() {}

  /**
   * Copies the first {@code train} / {@code test} images and labels from {@code from} to {@code
   * to} (created if needed), checking each source file as a load would.
   *
   * @return the four files written
   * @throws IllegalArgumentException if a count is not positive or exceeds the source's images
   */
  public static List<Path> write(Path from, Path to, int train, int test) throws IOException {
    if (train < 1 || test < 1) {
      throw new IllegalArgumentException(
          "subset sizes must be positive, got train " + train + ", test " + test);
    }
    DataDirectory.IdxFiles src = DataDirectory.idxFiles(from);
    Files.createDirectories(to);
    Path trainImages = to.resolve("train-images-idx3-ubyte.gz");
    Path trainLabels = to.resolve("train-labels-idx1-ubyte.gz");
    Path testImages = to.resolve("t10k-images-idx3-ubyte.gz");
    Path testLabels = to.resolve("t10k-labels-idx1-ubyte.gz");
    copy(src.trainImages(), src.trainLabels(), trainImages, trainLabels, train);
    copy(src.testImages(), src.testLabels(), testImages, testLabels, test);
    return List.of(trainImages, trainLabels, testImages, testLabels);
  }

  private static void copy(Path images, Path labels, Path imagesOut, Path labelsOut, int count)
      throws IOException {
    IdxReader.RawImages raw = IdxReader.readRawImages(images, count);
    if (raw.count() < count) {
      throw new IllegalArgumentException(images + " holds " + raw.count() + " images, fewer than "
          + "the " + count + " asked for");
    }
    DataDirectory.requireOneLabelPerImage(images, raw.declaredCount(), labels);
    IdxWriter.writeImages(imagesOut, raw.bytes(), count, raw.rows(), raw.cols());
    IdxWriter.writeLabels(labelsOut, IdxReader.readLabels(labels, count));
  }
}
