package org.shampoo4j.bench.data;

import java.io.IOException;
import java.nio.file.Path;

/** A data file exists but does not have the expected format; the message names file and reason. */
public final class MalformedDataException extends IOException {
  private static final long serialVersionUID = 1L;

  /** An exception for {@code file} with the reason it was rejected. */
  public MalformedDataException(Path file, String reason) {
    super(file + ": " + reason);
  }
}
