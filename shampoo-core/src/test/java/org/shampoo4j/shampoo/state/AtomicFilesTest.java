package org.shampoo4j.shampoo.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write that fails halfway leaves the previous file whole and no temporary file behind. */
class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void aFailedWriteKeepsTheOldFile() throws IOException {
    Path file = dir.resolve("sub/state.bin");
    AtomicFiles.write(file, out -> out.write("old".getBytes(StandardCharsets.UTF_8)));
    IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(file, out -> {
      out.write("half of the new".getBytes(StandardCharsets.UTF_8));
      throw new IOException("disk full");
    }));
    assertEquals("disk full", e.getMessage());
    assertEquals("old", Files.readString(file));
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertEquals(1, files.count(), "no temporary file left");
    }
    AtomicFiles.write(file, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
    assertEquals("new", Files.readString(file));
  }
}
