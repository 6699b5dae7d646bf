package org.shampoo4j.shampoo.state;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.Channels;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Atomic file writes: the content goes to a temporary file in the target's directory, is forced to
 * disk and then renamed over the target, so a crash leaves either the old file or the new one,
 * never a partial one.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** What writes the content. */
  @FunctionalInterface
  public interface Content {
    /** Writes to {@code out} (which the caller closes). */
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code file} atomically.
   *
   * @throws IOException if writing fails (the target is then untouched and the temporary file
   *     removed) or the file system cannot rename atomically
   */
  public static void write(Path file, Content content) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
        content.writeTo(out);
        out.flush();
        channel.force(true);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot replace " + target + " atomically on this file system", e);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
