package org.shampoo4j.bench.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Fashion-MNIST (Xiao et al. 2017; 60,000 training and 10,000 test images of 28×28 pixels in 10
 * clothing classes, MIT licence) from a local directory of the four IDX files. Debian's {@code
 * dataset-fashion-mnist} package installs them in {@link #SYSTEM_DIRECTORY}; nothing is
 * downloaded.
 */
public final class FashionMnist {
  /** Where Debian's {@code dataset-fashion-mnist} package puts the IDX files. */
  public static final Path SYSTEM_DIRECTORY = Path.of("/usr/share/datasets/fashion-mnist");
  /** The one command that installs the data set on Debian and Ubuntu. */
  public static final String INSTALL_COMMAND = "sudo apt-get install dataset-fashion-mnist";

  private FashionMnist() {}

  /** Whether {@code dir} holds the training images (gzipped or not). */
  public static boolean isPresent(Path dir) {
    return Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz"))
        || Files.isRegularFile(dir.resolve("train-images-idx3-ubyte"));
  }

  /**
   * Loads Fashion-MNIST from {@code dir}.
   *
   * @param dir the directory with the IDX files ({@link #SYSTEM_DIRECTORY}, or a subset written
   *     by {@code IdxSubsetCommand})
   * @throws NoSuchFileException if the directory has no Fashion-MNIST files; the message says
   *     how to install them
   * @throws MalformedDataException if a file is corrupt, truncated or disagrees with another
   */
  public static TrainTestSplit load(Path dir, int maxTrain, int maxTest) throws IOException {
    if (!isPresent(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "Fashion-MNIST not found; install it "
          + "with: " + INSTALL_COMMAND);
    }
    TrainTestSplit split = DataDirectory.load(dir, maxTrain, maxTest);
    if (split.train().height() != 28 || split.train().width() != 28) {
      throw new MalformedDataException(dir, "Fashion-MNIST images are 28x28, these are "
          + split.train().height() + "x" + split.train().width());
    }
    return split;
  }
}
