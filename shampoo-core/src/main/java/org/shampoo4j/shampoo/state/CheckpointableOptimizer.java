package org.shampoo4j.shampoo.state;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An optimizer whose state can be saved and loaded, so that a training run survives a restart:
 * train N steps, save, load into a fresh optimizer of the same configuration, train M more, and
 * the weights equal N + M uninterrupted steps bit for bit. The format is {@link CheckpointFile}'s.
 *
 * <p>Loading parses and checks the whole file first (format, checksums, configuration
 * fingerprint, parameter names and shapes, every array's type and shape) and only then replaces
 * the state; after any failure the optimizer's state is exactly what it was. The state is placed
 * on each parameter's device, whatever device wrote it.
 */
public interface CheckpointableOptimizer {
  /**
   * Writes the state of every parameter in {@code parameters} to {@code out} (which stays open).
   *
   * @throws IllegalStateException if the optimizer holds state for a parameter not in the set
   */
  void saveState(OutputStream out, ParameterSet parameters) throws IOException;

  /**
   * Replaces the state by the one in {@code in}, placed on the parameters' devices.
   *
   * @throws InvalidCheckpointException if the checkpoint is truncated, corrupted, of another
   *     format, configuration or set of parameters; the state is then unchanged
   */
  void loadState(InputStream in, ParameterSet parameters) throws IOException;

  /** Writes the state to {@code file} atomically (temporary file, then rename). */
  default void saveState(Path file, ParameterSet parameters) throws IOException {
    AtomicFiles.write(file, out -> saveState(out, parameters));
  }

  /** Loads the state from {@code file}; see {@link #loadState(InputStream, ParameterSet)}. */
  default void loadState(Path file, ParameterSet parameters) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      loadState(in, parameters);
    }
  }
}
