package org.shampoo4j.bench.train;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Stream;
import org.shampoo4j.shampoo.state.AtomicFiles;
import org.shampoo4j.shampoo.state.CheckpointableOptimizer;
import org.shampoo4j.shampoo.state.ParameterSet;

/**
 * A directory of per-epoch training checkpoints: for each variant, the model's parameters, the
 * optimizer's state, the run's progress (epoch records, steps, time, peak memory, what the run
 * was set up with) and its random generators (batch order, augmentation), so a restarted run
 * continues exactly where the last completed epoch left off.
 *
 * <p>Layout: {@code DIR/<variant>/epoch-NNNN/} holds {@value #PARAMETERS}, {@value #OPTIMIZER},
 * {@value #PROGRESS} and {@value #RANDOM}; {@code DIR/<variant>/LATEST} names the newest complete
 * epoch directory. Saving is atomic: an epoch directory is written under a temporary name,
 * renamed, and only then does {@code LATEST} (itself replaced atomically) point at it; older epoch
 * directories are removed afterwards. A crash at any point leaves the previous checkpoint usable.
 */
public final class RunCheckpoints {
  /** The model's parameters, in DJL's format. */
  public static final String PARAMETERS = "model.params";
  /** The optimizer's state, in shampoo-core's checkpoint format. */
  public static final String OPTIMIZER = "optimizer.state";
  /** Epoch records and counters, as Java properties. */
  public static final String PROGRESS = "progress.properties";
  /** The serialized batch-order and augmentation generators. */
  public static final String RANDOM = "random.bin";

  private static final String LATEST = "LATEST";

  private final Path directory;

  /** Checkpoints under {@code directory} (created on the first save). */
  public RunCheckpoints(Path directory) {
    this.directory = Objects.requireNonNull(directory, "directory");
  }

  /** The directory. */
  public Path directory() {
    return directory;
  }

  /**
   * The state of a run after a completed epoch.
   *
   * @param setup what the run was set up with (seed, model, data, ...); a resume must match it
   * @param epochs the records so far
   * @param steps optimizer steps so far
   * @param trainNanos training wall time so far
   * @param peakDeviceBytes the most device memory seen so far
   * @param order the batch-order generator after the epoch
   * @param augment the augmentation generator after the epoch
   */
  public record Progress(String setup, List<EpochRecord> epochs, long steps, double trainNanos,
      OptionalLong peakDeviceBytes, Random order, Random augment) {
    /** Copies the records. */
    public Progress {
      Objects.requireNonNull(setup, "setup");
      epochs = List.copyOf(epochs);
      Objects.requireNonNull(peakDeviceBytes, "peakDeviceBytes");
      Objects.requireNonNull(order, "order");
      Objects.requireNonNull(augment, "augment");
    }
  }

  /**
   * Saves a variant's model, optimizer state and progress after an epoch, atomically.
   *
   * @throws IOException if writing fails (the previous checkpoint stays in place)
   */
  public void save(String variant, Progress progress, Block block,
      CheckpointableOptimizer optimizer) throws IOException {
    Path runDir = directory.resolve(variant);
    Files.createDirectories(runDir);
    String name = String.format(Locale.ROOT, "epoch-%04d", progress.epochs().size());
    Path partial = Files.createTempDirectory(runDir, "." + name + ".");
    try {
      try (DataOutputStream out = new DataOutputStream(
          new BufferedOutputStream(Files.newOutputStream(partial.resolve(PARAMETERS))))) {
        block.saveParameters(out);
      }
      optimizer.saveState(partial.resolve(OPTIMIZER), ParameterSet.of(block));
      Files.writeString(partial.resolve(PROGRESS), progressText(progress));
      try (ObjectOutputStream out = new ObjectOutputStream(
          new BufferedOutputStream(Files.newOutputStream(partial.resolve(RANDOM))))) {
        out.writeObject(progress.order());
        out.writeObject(progress.augment());
      }
      Path complete = runDir.resolve(name);
      deleteTree(complete);
      Files.move(partial, complete, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      deleteTree(partial);
    }
    AtomicFiles.write(runDir.resolve(LATEST),
        out -> out.write(name.getBytes(StandardCharsets.UTF_8)));
    try (Stream<Path> old = Files.list(runDir)) {
      for (Path p : (Iterable<Path>) old::iterator) {
        String file = p.getFileName().toString();
        if (file.startsWith("epoch-") && !file.equals(name)) {
          deleteTree(p);
        }
      }
    }
  }

  /**
   * The newest checkpoint of a variant, if there is one.
   *
   * @throws IOException if the checkpoint exists but cannot be read
   */
  public Optional<Saved> latest(String variant) throws IOException {
    Path pointer = directory.resolve(variant).resolve(LATEST);
    if (!Files.exists(pointer)) {
      return Optional.empty();
    }
    String name = Files.readString(pointer, StandardCharsets.UTF_8).trim();
    if (!name.matches("epoch-\\d{4,}")) {
      throw new IOException(pointer + " names '" + name + "', not an epoch directory");
    }
    Path dir = directory.resolve(variant).resolve(name);
    Progress progress = readProgress(dir);
    return Optional.of(new Saved(dir, progress));
  }

  /**
   * A saved checkpoint of one variant.
   *
   * @param directory its epoch directory
   * @param progress the run's progress at that epoch
   */
  public record Saved(Path directory, Progress progress) {
    /**
     * Loads the saved parameters into an uninitialized-for-training block: call it before the
     * trainer is created (DJL's trainer caches the parameter arrays when it initializes, and
     * loading replaces them).
     */
    public void loadParameters(Block block, NDManager manager) throws IOException {
      try (DataInputStream in = new DataInputStream(
          new BufferedInputStream(Files.newInputStream(directory.resolve(PARAMETERS))))) {
        block.loadParameters(manager, in);
      } catch (MalformedModelException e) {
        throw new IOException("cannot read " + directory.resolve(PARAMETERS) + ": "
            + e.getMessage(), e);
      }
    }

    /** Loads the optimizer state onto the block's parameters. */
    public void loadOptimizer(CheckpointableOptimizer optimizer, Block block) throws IOException {
      optimizer.loadState(directory.resolve(OPTIMIZER), ParameterSet.of(block));
    }
  }

  private static String progressText(Progress p) throws IOException {
    Properties props = new Properties();
    props.setProperty("setup", p.setup());
    props.setProperty("epochs", Integer.toString(p.epochs().size()));
    props.setProperty("steps", Long.toString(p.steps()));
    props.setProperty("trainNanos", Double.toString(p.trainNanos()));
    p.peakDeviceBytes().ifPresent(b -> props.setProperty("peakDeviceBytes", Long.toString(b)));
    for (EpochRecord r : p.epochs()) {
      // Double.toString round-trips exactly, so a resumed table equals the uninterrupted one.
      props.setProperty("epoch." + r.epoch(), r.trainLoss() + "," + r.testLoss() + ","
          + r.testAccuracy() + "," + r.elapsedSeconds());
    }
    StringWriter w = new StringWriter();
    props.store(w, "shampoo4j-bench run progress");
    return w.toString();
  }

  private static Progress readProgress(Path dir) throws IOException {
    Properties props = new Properties();
    Path file = dir.resolve(PROGRESS);
    props.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
    try {
      int count = Integer.parseInt(required(props, "epochs", file));
      List<EpochRecord> epochs = new ArrayList<>();
      for (int e = 1; e <= count; e++) {
        String[] v = required(props, "epoch." + e, file).split(",");
        if (v.length != 4) {
          throw new IOException(file + ": epoch." + e + " must hold 4 numbers");
        }
        epochs.add(new EpochRecord(e, Double.parseDouble(v[0]), Double.parseDouble(v[1]),
            Double.parseDouble(v[2]), Double.parseDouble(v[3])));
      }
      String peak = props.getProperty("peakDeviceBytes");
      Random order;
      Random augment;
      try (InputStream in = new BufferedInputStream(Files.newInputStream(dir.resolve(RANDOM)));
          ObjectInputStream objects = new ObjectInputStream(in)) {
        order = (Random) objects.readObject();
        augment = (Random) objects.readObject();
      } catch (ClassNotFoundException | ClassCastException e) {
        throw new IOException(dir.resolve(RANDOM) + " does not hold two java.util.Random", e);
      }
      return new Progress(required(props, "setup", file), epochs,
          Long.parseLong(required(props, "steps", file)),
          Double.parseDouble(required(props, "trainNanos", file)),
          peak == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(peak)),
          order, augment);
    } catch (NumberFormatException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static String required(Properties props, String key, Path file) throws IOException {
    String v = props.getProperty(key);
    if (v == null) {
      throw new IOException(file + " has no '" + key + "'");
    }
    return v;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
