package org.shampoo4j.bench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shampoo4j.bench.cli.BenchCommand;
import org.shampoo4j.bench.data.DigitsDataset;
import org.shampoo4j.bench.data.TrainTestSplit;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.variant.OptimizerVariant;
import org.shampoo4j.bench.variant.VariantCatalogue;
import org.shampoo4j.bench.variant.VariantSettings;
import picocli.CommandLine;

/**
 * The faults of a run checkpoint found by hand (issue 26's table), each refused with the file
 * named, before anything is loaded; and the debris of killed saves removed. One real checkpoint
 * (one epoch of a small MLP with 4-bit Shampoo on digits) is written once and copied per test.
 */
class RunCheckpointFaultTest {
  private static final TrainTestSplit DATA = DigitsDataset.split(0.2, 3).limit(96, 32);
  private static final RunSetup SETUP =
      RunSetup.of(Map.of("data", "digits 96/32", "model", "mlp 16"));
  private static final String VARIANT = "eigen4-l2";

  @TempDir static Path pristine;
  @TempDir Path dir;

  private static ModelTrainer trainer(int epochs) {
    return new ModelTrainer(DATA, ModelKind.MLP, TrainingSettings.builder().epochs(epochs)
        .batchSize(32).width(16).seed(9).progress(false).build());
  }

  private static OptimizerVariant variant() {
    return VariantCatalogue.standard().select(List.of(VARIANT)).get(0);
  }

  private static VariantSettings settings() {
    return VariantSettings.builder().statisticInterval(1).rootInterval(2).build();
  }

  @BeforeAll
  static void writeOneCheckpoint() {
    RunResult r = trainer(1).withCheckpoints(Optional.of(new RunCheckpoints(pristine)),
        Optional.empty(), SETUP).train(variant(), settings());
    assertTrue(r.failure().isEmpty(), r.failure().toString());
  }

  /** A fresh copy of the pristine checkpoint directory; returns the epoch directory. */
  private Path copy() throws IOException {
    try (Stream<Path> walk = Files.walk(pristine)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = dir.resolve(pristine.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    return dir.resolve(VARIANT).resolve("epoch-0001");
  }

  private DamagedCheckpointException refused() {
    return assertThrows(DamagedCheckpointException.class,
        () -> new RunCheckpoints(dir).latest(VARIANT));
  }

  private static void flip(Path file, long offset, int bytes) throws IOException {
    byte[] b = Files.readAllBytes(file);
    for (int i = 0; i < bytes; i++) {
      b[(int) (offset + i)] ^= (byte) (i == 0 ? 0x01 : 0xff);
    }
    Files.write(file, b);
  }

  private static void cut(Path file, long keep) throws IOException {
    byte[] b = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(b, (int) keep));
  }

  @Test
  void thePristineCopyResumes() throws IOException {
    copy();
    RunCheckpoints.Saved saved = new RunCheckpoints(dir).latest(VARIANT).orElseThrow();
    assertEquals(1, saved.progress().epochs().size());
    assertEquals(3, saved.progress().steps());
  }

  @Test
  void oneFlippedBitInTheWeightsIsRefusedNamingTheFile() throws IOException {
    Path epoch = copy();
    Path params = epoch.resolve(RunCheckpoints.PARAMETERS);
    flip(params, Files.size(params) / 2, 1);
    DamagedCheckpointException e = refused();
    assertEquals(params, e.file());
    assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
  }

  @Test
  void aFourByteFlipInTheWeightsIsRefusedAsDamageNotAsALargeGradient() throws IOException {
    Path epoch = copy();
    Path params = epoch.resolve(RunCheckpoints.PARAMETERS);
    flip(params, Files.size(params) - 8, 4);
    assertEquals(params, refused().file());
    // Through the command line: exit 2 before any training, the file named.
    Outcome o = bench("--resume", dir.toString());
    assertEquals(2, o.code(), o.err());
    assertTrue(o.err().contains(params.toString()), o.err());
    assertFalse(o.err().contains("too large"), o.err());
    assertFalse(o.out().contains("epoch 2/"), o.out());
  }

  @Test
  void oneFlippedBitOfTheGeneratorStateIsRefused() throws IOException {
    Path epoch = copy();
    Path random = epoch.resolve(RunCheckpoints.RANDOM);
    flip(random, Files.size(random) - 3, 1); // inside the last generator's 48-bit state
    assertEquals(random, refused().file());
  }

  @Test
  void anEditedStepCountIsRefused() throws IOException {
    Path epoch = copy();
    Path progress = epoch.resolve(RunCheckpoints.PROGRESS);
    String text = Files.readString(progress, StandardCharsets.UTF_8);
    assertTrue(text.contains("steps=3"), text);
    Files.writeString(progress, text.replace("steps=3", "steps=4"), StandardCharsets.UTF_8);
    assertEquals(progress, refused().file());
  }

  @Test
  void truncatedWeightsOrGeneratorStateAreRefusedNamingTheFile() throws IOException {
    for (String name : List.of(RunCheckpoints.PARAMETERS, RunCheckpoints.RANDOM,
        RunCheckpoints.OPTIMIZER, RunCheckpoints.PROGRESS)) {
      Path epoch = copy();
      Path file = epoch.resolve(name);
      cut(file, Files.size(file) / 2);
      DamagedCheckpointException e = refused();
      assertEquals(file, e.file(), e.getMessage());
      assertTrue(e.getMessage().contains("cut"), e.getMessage());
    }
  }

  @Test
  void aMissingOrExtraFileIsRefused() throws IOException {
    Path epoch = copy();
    Files.delete(epoch.resolve(RunCheckpoints.OPTIMIZER));
    assertEquals(epoch.resolve(RunCheckpoints.OPTIMIZER), refused().file());
    epoch = copy();
    Files.writeString(epoch.resolve("extra.bin"), "x");
    assertEquals(epoch.resolve("extra.bin"), refused().file());
    epoch = copy();
    Files.delete(epoch.resolve(CheckpointManifest.FILE));
    assertEquals(epoch.resolve(CheckpointManifest.FILE), refused().file());
  }

  /**
   * The generator file is read as plain numbers: a Java serialization stream there (magic
   * 0xACED) is refused as not a generator-state file, even with a matching manifest, so a
   * foreign checkpoint cannot make the bench instantiate classes it names.
   */
  @Test
  void aJavaSerializationStreamInTheGeneratorFileIsNotDeserialized() throws IOException {
    Path epoch = copy();
    Path random = epoch.resolve(RunCheckpoints.RANDOM);
    byte[] stream = {(byte) 0xAC, (byte) 0xED, 0x00, 0x05, 0x73, 0x72, 0x00, 0x10, 'j', 'a',
        'v', 'a', '.', 'u', 't', 'i', 'l', '.', 'R', 'a', 'n', 'd', 'o', 'm'};
    Files.write(random, stream);
    Files.delete(epoch.resolve(CheckpointManifest.FILE));
    CheckpointManifest.write(epoch);
    DamagedCheckpointException e = refused();
    assertEquals(random, e.file());
    assertTrue(e.getMessage().contains("not a generator-state file"), e.getMessage());
  }

  @Test
  void aMissingLatestNextToAValidEpochIsAnErrorWithAdvice() throws IOException {
    copy();
    Path latest = dir.resolve(VARIANT).resolve("LATEST");
    Files.delete(latest);
    DamagedCheckpointException e = refused();
    assertEquals(latest, e.file());
    assertTrue(e.getMessage().contains("echo epoch-0001 > " + latest), e.getMessage());
    // Following the advice resumes.
    Files.writeString(latest, "epoch-0001");
    assertTrue(new RunCheckpoints(dir).latest(VARIANT).isPresent());
  }

  @Test
  void debrisOfKilledSavesIsRemovedAtTheNextStartAndSave() throws IOException {
    copy();
    Path runDir = dir.resolve(VARIANT);
    // What kill -9 during a save leaves: a half-written epoch directory and a LATEST temporary.
    Path partial = Files.createDirectories(runDir.resolve(".epoch-0002.123456789"));
    Files.write(partial.resolve(RunCheckpoints.PARAMETERS), new byte[4096]);
    Files.writeString(runDir.resolve(".LATEST.987654321.tmp"), "epoch-0002");
    assertEquals(2, new RunCheckpoints(dir).removeDebris());
    assertEquals(List.of("LATEST", "epoch-0001"), names(runDir));

    // The command line removes them before training, and its saves leave only one epoch.
    Path ck = dir.resolve("ck");
    Path cliRun = Files.createDirectories(ck.resolve(VARIANT).resolve(".epoch-0001.5"));
    Files.writeString(cliRun.getParent().resolve(".LATEST.6.tmp"), "epoch-0001");
    Outcome o = bench("--checkpoint", ck.toString());
    assertEquals(0, o.code(), o.err());
    assertTrue(o.out().contains("removed 2 temporary file(s) of interrupted saves"), o.out());
    assertEquals(List.of("LATEST", "epoch-0002"), names(ck.resolve(VARIANT)));
    // The run's per-block health counts are in the reports too (one row per block).
    List<String> health = Files.readAllLines(dir.resolve("out").resolve("health.csv"));
    assertTrue(health.size() > 1 && health.get(1).startsWith(VARIANT + ","), health.toString());
  }

  /** A second run saving into a directory in use would delete the first one's temporaries. */
  @Test
  void aCheckpointDirectoryInUseByAnotherRunIsRefused() throws IOException {
    Path ck = dir.resolve("busy");
    try (java.io.Closeable held = new RunCheckpoints(ck).lock()) {
      Outcome o = bench("--checkpoint", ck.toString());
      assertEquals(2, o.code(), o.err());
      assertTrue(o.err().contains("is in use by another run"), o.err());
    }
    assertEquals(0, bench("--checkpoint", ck.toString()).code(), "free again once released");
  }

  @Test
  void anOutputPathThatIsAFileIsRefusedBeforeTraining() throws IOException {
    Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
    for (String option : List.of("--out", "--checkpoint")) {
      Outcome o = bench(option, file.toString());
      assertEquals(2, o.code(), o.err());
      assertTrue(o.err().contains(option + " " + file + " is a file"), o.err());
      assertFalse(o.out().contains("epoch 1/"), "nothing trained: " + o.out());
    }
  }

  @Test
  void aBadOptionPrintsItsReasonAndAPointerToHelpNotTheWholeUsage() {
    StringWriter err = new StringWriter();
    CommandLine cl = BenchCommand.commandLine();
    cl.setErr(new PrintWriter(err));
    assertEquals(2, cl.execute("--epochs", "many"));
    String text = err.toString();
    assertTrue(text.contains("--epochs"), text);
    assertTrue(text.contains("see shampoo4j-bench --help"), text);
    assertFalse(text.contains("Usage:"), text);
    assertTrue(text.lines().count() <= 3, text);
  }

  private static List<String> names(Path d) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> list = Files.list(d)) {
      list.map(p -> p.getFileName().toString()).sorted().forEach(out::add);
    }
    return out;
  }

  /** Runs the command on the same data, setup and variant (2 epochs, so a resume trains one). */
  private Outcome bench(String... extra) {
    List<String> args = new ArrayList<>(List.of("--variants", VARIANT, "--epochs", "2",
        "--max-train", "96", "--max-test", "32", "--width", "16", "--seed", "9", "-b", "32",
        "--t1", "1", "--t2", "2", "--no-progress", "--no-charts"));
    if (!List.of(extra).contains("--out")) {
      args.addAll(List.of("--out", dir.resolve("out").toString()));
    }
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = BenchCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args.toArray(String[]::new));
    return new Outcome(code, out.toString(), err.toString());
  }

  private record Outcome(int code, String out, String err) {}
}
