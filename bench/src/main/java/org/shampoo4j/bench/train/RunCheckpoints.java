package org.shampoo4j.bench.train;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.shampoo4j.bench.random.Lcg48;
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
 * {@value #PROGRESS}, {@value #RANDOM} and a {@code MANIFEST} with every file's size and SHA-256;
 * {@code DIR/<variant>/LATEST} names the newest complete epoch directory. Saving is atomic: an
 * epoch directory is written under a temporary name, renamed, and only then does {@code LATEST}
 * (itself replaced atomically) point at it; older epoch directories are removed afterwards. A
 * crash at any point leaves the previous checkpoint usable, and the temporaries it leaves are
 * removed by the next save or {@link #removeDebris()}.
 *
 * <p>Reading is checked: the whole epoch directory is verified against its manifest before any
 * file is read, so a cut, edited or corrupt file is refused with its name ({@link
 * DamagedCheckpointException}); the optimizer file also keeps its own checks.
 */
public final class RunCheckpoints {
  /** The model's parameters, in DJL's format. */
  public static final String PARAMETERS = "model.params";
  /** The optimizer's state, in shampoo-core's checkpoint format. */
  public static final String OPTIMIZER = "optimizer.state";
  /** Epoch records and counters, as Java properties. */
  public static final String PROGRESS = "progress.properties";
  /** The batch-order and augmentation generators' states, as plain bytes. */
  public static final String RANDOM = "random.bin";

  private static final String LATEST = "LATEST";
  private static final String LOCK = ".lock";
  private static final Pattern EPOCH = Pattern.compile("epoch-(\\d{4,})");

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
      OptionalLong peakDeviceBytes, Lcg48 order, Lcg48 augment) {
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
    removeDebris(runDir);
    String name = String.format(Locale.ROOT, "epoch-%04d", progress.epochs().size());
    Path partial = Files.createTempDirectory(runDir, "." + name + ".");
    try {
      try (DataOutputStream out = new DataOutputStream(
          new BufferedOutputStream(Files.newOutputStream(partial.resolve(PARAMETERS))))) {
        block.saveParameters(out);
      }
      optimizer.saveState(partial.resolve(OPTIMIZER), ParameterSet.of(block));
      Files.writeString(partial.resolve(PROGRESS), progressText(progress));
      GeneratorStateFile.write(partial.resolve(RANDOM),
          List.of(progress.order(), progress.augment()));
      CheckpointManifest.write(partial);
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
   * Claims the directory for this process until the returned handle is closed (or the process
   * ends, however it ends: the operating system releases the lock). Two runs saving into one
   * directory would delete each other's temporaries and epochs.
   *
   * @throws IOException if another process (or another claim in this one) holds it
   */
  public java.io.Closeable lock() throws IOException {
    Files.createDirectories(directory);
    java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(
        directory.resolve(LOCK), java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.WRITE);
    java.nio.channels.FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      throw new IOException(directory + " is in use by another run (it holds "
          + directory.resolve(LOCK) + "); wait for that run to end or use another directory");
    }
    return channel::close;
  }

  /**
   * Removes what killed saves left in every variant's directory: partly written epoch
   * directories ({@code .epoch-NNNN.*}) and {@code LATEST} temporaries ({@code .LATEST.*.tmp}).
   * Call it when a run starts, before anything trains; a save also does it for its variant.
   *
   * @return how many entries were removed
   * @throws IOException if one cannot be removed
   */
  public int removeDebris() throws IOException {
    if (!Files.isDirectory(directory)) {
      return 0;
    }
    int removed = 0;
    try (Stream<Path> runs = Files.list(directory)) {
      for (Path run : (Iterable<Path>) runs::iterator) {
        if (Files.isDirectory(run)) {
          removed += removeDebris(run);
        }
      }
    }
    return removed;
  }

  private static int removeDebris(Path runDir) throws IOException {
    int removed = 0;
    try (Stream<Path> list = Files.list(runDir)) {
      for (Path p : (Iterable<Path>) list::iterator) {
        String file = p.getFileName().toString();
        if (file.startsWith(".epoch-")
            || (file.startsWith("." + LATEST + ".") && file.endsWith(".tmp"))) {
          deleteTree(p);
          removed++;
        }
      }
    }
    return removed;
  }

  /**
   * The newest checkpoint of a variant, if there is one, verified against its manifest before
   * anything in it is read.
   *
   * @throws DamagedCheckpointException if the checkpoint is incomplete, cut, edited or corrupt
   *     (naming the file), or if epoch directories exist without {@code LATEST}
   * @throws IOException if the checkpoint exists but cannot be read
   */
  public Optional<Saved> latest(String variant) throws IOException {
    Path runDir = directory.resolve(variant);
    Path pointer = runDir.resolve(LATEST);
    if (!Files.exists(pointer)) {
      List<String> epochs = epochDirectories(runDir);
      if (!epochs.isEmpty()) {
        String newest = epochs.get(epochs.size() - 1);
        throw new DamagedCheckpointException(pointer, "missing, but " + runDir + " holds "
            + String.join(", ", epochs) + ". LATEST is written last, so a deleted LATEST "
            + "means the checkpoint was changed by hand. To resume from " + newest + ", write "
            + "its name into LATEST (echo " + newest + " > " + pointer + "); to start afresh, "
            + "remove " + runDir + " or resume from another directory");
      }
      return Optional.empty();
    }
    String name = Files.readString(pointer, StandardCharsets.UTF_8).trim();
    Matcher m = EPOCH.matcher(name);
    if (!m.matches()) {
      throw new DamagedCheckpointException(pointer, "names '" + name
          + "', not an epoch directory");
    }
    Path dir = runDir.resolve(name);
    if (!Files.isDirectory(dir)) {
      throw new DamagedCheckpointException(pointer, "names " + name + ", which does not exist");
    }
    CheckpointManifest.verify(dir);
    Progress progress = readProgress(dir);
    if (progress.epochs().size() != Integer.parseInt(m.group(1))) {
      throw new DamagedCheckpointException(dir.resolve(PROGRESS), "holds "
          + progress.epochs().size() + " epochs, its directory is " + name);
    }
    return Optional.of(new Saved(dir, progress));
  }

  private static List<String> epochDirectories(Path runDir) throws IOException {
    if (!Files.isDirectory(runDir)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    try (Stream<Path> list = Files.list(runDir)) {
      for (Path p : (Iterable<Path>) list.sorted()::iterator) {
        if (Files.isDirectory(p) && EPOCH.matcher(p.getFileName().toString()).matches()) {
          out.add(p.getFileName().toString());
        }
      }
    }
    return out;
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
          throw new DamagedCheckpointException(file, "epoch." + e + " must hold 4 numbers");
        }
        epochs.add(new EpochRecord(e, Double.parseDouble(v[0]), Double.parseDouble(v[1]),
            Double.parseDouble(v[2]), Double.parseDouble(v[3])));
      }
      String peak = props.getProperty("peakDeviceBytes");
      List<Lcg48> generators = GeneratorStateFile.read(dir.resolve(RANDOM), 2);
      Lcg48 order = generators.get(0);
      Lcg48 augment = generators.get(1);
      return new Progress(required(props, "setup", file), epochs,
          Long.parseLong(required(props, "steps", file)),
          Double.parseDouble(required(props, "trainNanos", file)),
          peak == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(peak)),
          order, augment);
    } catch (NumberFormatException e) {
      throw new DamagedCheckpointException(file, e.getMessage());
    }
  }

  private static String required(Properties props, String key, Path file) throws IOException {
    String v = props.getProperty(key);
    if (v == null) {
      throw new DamagedCheckpointException(file, "has no '" + key + "'");
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
