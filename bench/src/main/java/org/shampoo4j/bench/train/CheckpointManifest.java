package org.shampoo4j.bench.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The list of files of one checkpoint directory with each file's size and SHA-256, written last,
 * so that the directory is checked as one unit before anything in it is read: a missing, extra,
 * cut or edited file is refused with its name.
 *
 * <p>Format ({@value #FILE}, UTF-8 text): the line {@value #HEADER}, then one line per file,
 * {@code <sha-256 hex> <size in bytes> <file name>}, sorted by name.
 */
final class CheckpointManifest {
  /** The manifest's file name inside a checkpoint directory. */
  static final String FILE = "MANIFEST";
  /** The first line: format name and version. */
  static final String HEADER = "shampoo4j-run-checkpoint 1";

  private CheckpointManifest() {}

  /**
   * Writes the manifest of every regular file in {@code dir} and forces it to disk.
   *
   * @throws IOException if a file cannot be read or the manifest cannot be written
   */
  static void write(Path dir) throws IOException {
    StringBuilder text = new StringBuilder(HEADER).append('\n');
    for (Path file : files(dir)) {
      text.append(sha256(file)).append(' ').append(Files.size(file)).append(' ')
          .append(file.getFileName()).append('\n');
    }
    try (FileChannel ch = FileChannel.open(dir.resolve(FILE), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
  }

  /**
   * Checks {@code dir} against its manifest: the same files, each of the listed size and SHA-256.
   *
   * @throws DamagedCheckpointException naming the first file that does not match
   */
  static void verify(Path dir) throws IOException {
    Path manifest = dir.resolve(FILE);
    List<String> lines;
    try {
      lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new DamagedCheckpointException(manifest, "missing: the checkpoint directory was not "
          + "written completely (or by a version without manifests) and cannot be verified");
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new DamagedCheckpointException(manifest, "is not UTF-8 text: it is corrupt");
    }
    if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
      throw new DamagedCheckpointException(manifest, "does not start with '" + HEADER + "'");
    }
    Map<String, String[]> listed = new LinkedHashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(" ", 3);
      if (f.length != 3 || !f[0].matches("[0-9a-f]{64}") || !f[1].matches("\\d{1,18}")
          || f[2].isEmpty() || f[2].contains("/") || listed.put(f[2], f) != null) {
        throw new DamagedCheckpointException(manifest, "line " + (i + 1) + " is not "
            + "'<sha-256> <size> <name>' of a new file: '" + lines.get(i) + "'");
      }
    }
    Set<String> present = new TreeSet<>();
    for (Path file : files(dir)) {
      present.add(file.getFileName().toString());
    }
    for (String name : listed.keySet()) {
      if (!present.contains(name)) {
        throw new DamagedCheckpointException(dir.resolve(name), "missing (listed in " + FILE
            + ")");
      }
    }
    for (String name : present) {
      if (!listed.containsKey(name)) {
        throw new DamagedCheckpointException(dir.resolve(name), "not listed in " + FILE
            + ": the directory was changed after it was written");
      }
    }
    for (String[] f : listed.values()) {
      Path file = dir.resolve(f[2]);
      long size = Files.size(file);
      if (size != Long.parseLong(f[1])) {
        throw new DamagedCheckpointException(file, "holds " + size + " bytes, the checkpoint "
            + "wrote " + f[1] + " (cut or extended)");
      }
      if (!sha256(file).equals(f[0])) {
        throw new DamagedCheckpointException(file, "SHA-256 differs from the one written with "
            + "the checkpoint: the file was changed or corrupted");
      }
    }
  }

  /** The regular files of {@code dir} except the manifest, sorted by name. */
  private static List<Path> files(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> list = Files.list(dir)) {
      for (Path p : (Iterable<Path>) list.sorted()::iterator) {
        if (!p.getFileName().toString().equals(FILE)) {
          if (!Files.isRegularFile(p)) {
            throw new DamagedCheckpointException(p, "is not a regular file");
          }
          out.add(p);
        }
      }
    }
    return out;
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
