package org.shampoo4j.bench.train;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A run checkpoint that cannot be trusted: a file is missing, cut, edited or corrupt, or the
 * directory is incomplete. The message names the file and what is wrong with it.
 */
public final class DamagedCheckpointException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  /**
   * A damaged checkpoint.
   *
   * @param file the file (or directory) at fault
   * @param problem what is wrong with it
   */
  public DamagedCheckpointException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /** The file (or directory) at fault. */
  public Path file() {
    return file;
  }
}
