package org.shampoo4j.bench.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Loads a local copy of MNIST / Fashion-MNIST (the four IDX files, gzipped or not) or CIFAR-10
 * (the binary batches, directly in the directory or in its {@code cifar-10-batches-bin}
 * sub-directory). Nothing is downloaded: a missing or malformed directory is reported with the
 * file names that were looked for.
 */
public final class DataDirectory {
  private static final String[] TRAIN_IMAGES = {"train-images-idx3-ubyte", "train-images.idx3-ubyte"};
  private static final String[] TRAIN_LABELS = {"train-labels-idx1-ubyte", "train-labels.idx1-ubyte"};
  private static final String[] TEST_IMAGES = {"t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"};
  private static final String[] TEST_LABELS = {"t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"};
  private static final int CIFAR_TRAIN_BATCHES = 5;

  private DataDirectory() {}

  /**
   * Loads the data set found in {@code dir}.
   *
   * @param dir a directory holding MNIST-style IDX files or CIFAR-10 binary batches
   * @param maxTrain read at most this many training images
   * @param maxTest read at most this many test images
   * @throws NoSuchFileException if the directory does not exist or holds neither format
   * @throws MalformedDataException if a file is truncated or has the wrong format
   */
  public static TrainTestSplit load(Path dir, int maxTrain, int maxTest) throws IOException {
    if (maxTrain < 1 || maxTest < 1) {
      throw new IllegalArgumentException(
          "image limits must be positive, got train " + maxTrain + ", test " + maxTest);
    }
    if (!Files.exists(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "data directory does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw new NotDirectoryException(dir + " (--data must name a directory)");
    }
    Optional<Path> trainImages = find(dir, TRAIN_IMAGES);
    if (trainImages.isPresent()) {
      return loadIdx(dir, trainImages.get(), maxTrain, maxTest);
    }
    Path cifar = Files.isDirectory(dir.resolve("cifar-10-batches-bin"))
        ? dir.resolve("cifar-10-batches-bin") : dir;
    if (Files.exists(cifar.resolve("data_batch_1.bin"))) {
      return loadCifar(cifar, maxTrain, maxTest);
    }
    throw new NoSuchFileException(dir.toString(), null,
        "no data set found: expected MNIST/Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz], "
            + "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], "
            + "t10k-labels-idx1-ubyte[.gz]) or CIFAR-10 binary batches (data_batch_1.bin .. "
            + "data_batch_5.bin, test_batch.bin, here or in cifar-10-batches-bin/)");
  }

  private static TrainTestSplit loadIdx(Path dir, Path trainImages, int maxTrain, int maxTest)
      throws IOException {
    IdxFiles files = idxFiles(dir);
    String name = dir.getFileName() == null ? "idx" : dir.getFileName().toString();
    return new TrainTestSplit(
        idxPart(name + "/train", files.trainImages(), files.trainLabels(), maxTrain),
        idxPart(name + "/test", files.testImages(), files.testLabels(), maxTest));
  }

  /**
   * The four MNIST-style IDX files in {@code dir} (each plain or {@code .gz}, with a dash or a
   * dot before {@code idx}).
   *
   * @throws NoSuchFileException naming the first file that is missing
   */
  public static IdxFiles idxFiles(Path dir) throws NoSuchFileException {
    return new IdxFiles(require(dir, TRAIN_IMAGES), require(dir, TRAIN_LABELS),
        require(dir, TEST_IMAGES), require(dir, TEST_LABELS));
  }

  /** The four files of an MNIST-style data set. */
  public record IdxFiles(Path trainImages, Path trainLabels, Path testImages, Path testLabels) {}

  private static LabeledImages idxPart(String name, Path images, Path labels, int limit)
      throws IOException {
    // The whole files, whatever the limit: a cut download must not pass with a small limit.
    IdxReader.requireComplete(images, 3);
    IdxReader.requireComplete(labels, 1);
    IdxReader.Images img = IdxReader.readImages(images, limit);
    requireOneLabelPerImage(images, img.declaredCount(), labels);
    int[] lab = IdxReader.readLabels(labels, limit);
    for (int i = 0; i < lab.length; i++) {
      if (lab[i] > 9) {
        throw new MalformedDataException(labels, "label " + i + " is " + lab[i] + ", expected 0..9");
      }
    }
    return new LabeledImages(name, img.pixels(), lab, 1, img.rows(), img.cols(), 10);
  }

  /**
   * Checks that the label file declares as many labels as the image file declares images. The
   * headers are compared, not the counts read, so that a read limit cannot hide a mismatch.
   */
  static void requireOneLabelPerImage(Path images, int declaredImages, Path labels)
      throws IOException {
    int declaredLabels = IdxReader.declaredCount(labels, 1);
    if (declaredLabels != declaredImages) {
      throw new MalformedDataException(labels, "declares " + declaredLabels + " labels but "
          + images.getFileName() + " declares " + declaredImages + " images");
    }
  }

  private static TrainTestSplit loadCifar(Path dir, int maxTrain, int maxTest) throws IOException {
    Path test = dir.resolve("test_batch.bin");
    if (!Files.exists(test)) {
      throw new NoSuchFileException(test.toString(), null, "CIFAR-10 test batch is missing");
    }
    List<Path> trainFiles = new ArrayList<>();
    for (int i = 1; i <= CIFAR_TRAIN_BATCHES; i++) {
      Path p = dir.resolve("data_batch_" + i + ".bin");
      if (Files.exists(p)) {
        trainFiles.add(p);
      }
    }
    return new TrainTestSplit(
        cifarPart("cifar10/train", trainFiles, maxTrain), cifarPart("cifar10/test", List.of(test), maxTest));
  }

  private static LabeledImages cifarPart(String name, List<Path> files, int limit)
      throws IOException {
    int per = CifarReader.RECORD - 1;
    FloatGrowable pixels = new FloatGrowable();
    List<Integer> labels = new ArrayList<>();
    for (Path f : files) {
      if (labels.size() >= limit) {
        break;
      }
      CifarReader.read(f, limit - labels.size(), (px, label) -> {
        pixels.add(px, per);
        labels.add(label);
      });
    }
    return new LabeledImages(name, pixels.toArray(),
        labels.stream().mapToInt(Integer::intValue).toArray(),
        CifarReader.CHANNELS, CifarReader.SIDE, CifarReader.SIDE, CifarReader.CLASSES);
  }

  private static Optional<Path> find(Path dir, String[] names) {
    for (String n : names) {
      for (String candidate : new String[] {n, n + ".gz"}) {
        Path p = dir.resolve(candidate);
        if (Files.isRegularFile(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  private static Path require(Path dir, String[] names) throws NoSuchFileException {
    return find(dir, names).orElseThrow(() -> new NoSuchFileException(
        dir.resolve(names[0]).toString(), null, "IDX file missing (also looked for .gz)"));
  }

  /** A growable float buffer, so CIFAR parts are read without boxing each pixel. */
  private static final class FloatGrowable {
    private float[] data = new float[1 << 16];
    private int size;

    void add(float[] values, int count) {
      if (size + count > data.length) {
        data = java.util.Arrays.copyOf(data, Math.max(data.length * 2, size + count));
      }
      System.arraycopy(values, 0, data, size, count);
      size += count;
    }

    float[] toArray() {
      return java.util.Arrays.copyOf(data, size);
    }
  }
}
