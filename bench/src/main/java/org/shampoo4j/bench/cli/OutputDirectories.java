package org.shampoo4j.bench.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before anything trains, that a directory the run will write into can be written: it is
 * created if missing, must be a directory, and a probe file must be creatable and removable in
 * it. A run that would otherwise train for hours and then fail to write its results stops at
 * once.
 */
final class OutputDirectories {
  private OutputDirectories() {}

  /**
   * Creates {@code dir} if needed and checks that files can be written in it.
   *
   * @param option the option that named it, for the message
   * @throws IllegalArgumentException saying what is wrong, naming the option and the directory
   */
  static void requireWritable(Path dir, String option) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(option + " " + dir + " is a file, not a directory");
    }
    try {
      Files.createDirectories(dir);
    } catch (FileAlreadyExistsException e) {
      throw new IllegalArgumentException(option + " " + dir + ": " + e.getFile()
          + " is a file, not a directory", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(option + " " + dir + " cannot be created: " + e, e);
    }
    try {
      Path probe = Files.createTempFile(dir, ".write-probe.", ".tmp");
      Files.delete(probe);
    } catch (IOException e) {
      throw new IllegalArgumentException(option + " " + dir + " is not writable: " + e, e);
    }
  }
}
