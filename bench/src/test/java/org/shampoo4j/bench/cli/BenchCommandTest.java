package org.shampoo4j.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shampoo4j.bench.report.BestEffortCharts;
import org.shampoo4j.bench.report.ChartWriter;
import org.shampoo4j.bench.data.IdxWriter;
import picocli.CommandLine;

class BenchCommandTest {
  @TempDir Path tmp;

  /** Runs the command line, capturing both streams. */
  private static Outcome run(String... args) {
    return run(BenchCommand.commandLine(), args);
  }

  private static Outcome run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Outcome(code, out.toString(), err.toString());
  }

  private record Outcome(int code, String out, String err) {}

  @Test
  void helpListsEveryOptionAndTheDefaults() {
    Outcome o = run("--help");
    System.out.println(o.out());
    assertEquals(0, o.code());
    for (String opt : List.of("--variants", "--model", "--epochs", "--seed", "--device", "--out",
        "--data", "--batch-size", "--lr-sgd", "--lr-adamw", "--t1", "--t2", "--max-train",
        "--dataset", "--width", "--shampoo-base", "--no-progress", "--list-variants")) {
      assertTrue(o.out().contains(opt), "help mentions " + opt);
    }
    // Help wraps lines; compare with whitespace collapsed.
    String flat = o.out().replaceAll("\\s+", " ");
    assertTrue(flat.contains("for " + BenchCommand.DEFAULT_EPOCHS + " epochs"), flat);
    assertTrue(flat.contains("Default: bench-out"), flat);
  }

  @Test
  void listVariantsNamesTheCatalogue() {
    Outcome o = run("--list-variants");
    assertEquals(0, o.code());
    for (String id : List.of("sgd", "adamw", "adamw4", "shampoo32", "naive4", "eigen4-l2",
        "eigen4-dt", "chol4", "chol4-ef")) {
      assertTrue(o.out().contains(id), "lists " + id);
    }
  }

  @Test
  void parsesOptionsIntoFields() {
    BenchCommand cmd = new BenchCommand();
    BenchCommand.commandLine(cmd).parseArgs("--variants", "sgd,chol4-ef", "--model", "resnet",
        "--epochs", "3", "--seed", "7", "-b", "32", "--t1", "5", "--t2", "20", "--out", "x",
        "--lr-sgd", "0.1", "--device", "cpu");
    assertEquals(List.of("sgd", "chol4-ef"), cmd.variants);
    assertEquals(org.shampoo4j.bench.model.ModelKind.RESNET, cmd.model);
    assertEquals(3, cmd.epochs.intValue());
    assertEquals(7L, cmd.seed);
    assertEquals(32, cmd.batchSize.intValue());
    assertEquals(5, cmd.t1.intValue());
    assertEquals(20, cmd.t2.intValue());
    assertEquals(Path.of("x"), cmd.out);
    assertEquals(0.1f, cmd.lrSgd.floatValue());
  }

  @Test
  void badInputIsAUsageErrorWithAReason() {
    Outcome unknownVariant = run("--variants", "sgd,nope", "--out", tmp.toString());
    assertEquals(2, unknownVariant.code());
    assertTrue(unknownVariant.err().contains("unknown variant(s) [nope]"), unknownVariant.err());

    Outcome badModel = run("--model", "vgg", "--out", tmp.toString());
    assertEquals(2, badModel.code());
    assertTrue(badModel.err().contains("'--model': must be one of mlp|resnet|resnet18|vit"),
        badModel.err());

    Outcome badPolicy = run("--non-finite-policy", "ignore", "--out", tmp.toString());
    assertEquals(2, badPolicy.code());
    assertTrue(badPolicy.err().contains("'--non-finite-policy': must be one of guarded|throw|skip"),
        badPolicy.err());

    Outcome badEpochs = run("--epochs", "0", "--out", tmp.toString());
    assertEquals(2, badEpochs.code());
    assertTrue(badEpochs.err().contains("epochs must be positive"), badEpochs.err());

    Outcome notANumber = run("--epochs", "many");
    assertEquals(2, notANumber.code());

    Outcome missingData = run("--data", tmp.resolve("absent").toString(), "--out", tmp.toString());
    assertEquals(2, missingData.code());
    assertTrue(missingData.err().contains("does not exist"), missingData.err());

    Outcome emptyData = run("--data", tmp.toString(), "--out", tmp.toString());
    assertEquals(2, emptyData.code());
    assertTrue(emptyData.err().contains("no data set found"), emptyData.err());
  }

  @Test
  void multiDeviceOptionsAreCheckedWithAReason() {
    Outcome cpuReplicas = run("--devices", "2", "--out", tmp.toString());
    assertEquals(2, cpuReplicas.code());
    assertTrue(cpuReplicas.err().contains("--devices 2 needs --device gpu"), cpuReplicas.err());

    Outcome noDevices = run("--devices", "0", "--out", tmp.toString());
    assertEquals(2, noDevices.code());
    assertTrue(noDevices.err().contains("--devices must be positive"), noDevices.err());

    Outcome badDistribution = run("--distribution", "mirrored", "--out", tmp.toString());
    assertEquals(2, badDistribution.code());
    assertTrue(badDistribution.err().contains("'--distribution': must be one of replicated|sharded"),
        badDistribution.err());

    Outcome badReduction = run("--reduction", "max", "--out", tmp.toString());
    assertEquals(2, badReduction.code());
    assertTrue(badReduction.err().contains("'--reduction': must be one of sum|mean"),
        badReduction.err());
  }

  /** On one device the sharded distribution trains exactly like the replicated default. */
  @Test
  void shardedOnOneDeviceMatchesReplicated() throws Exception {
    List<List<String>> curves = new java.util.ArrayList<>();
    for (String distribution : List.of("replicated", "sharded")) {
      Path out = tmp.resolve(distribution);
      Outcome o = run("--variants", "eigen4-l2", "--epochs", "2", "--max-train", "192",
          "--max-test", "64", "--width", "64", "--t1", "1", "--t2", "2", "--no-progress",
          "--distribution", distribution, "--out", out.toString());
      assertEquals(0, o.code(), o.err());
      assertTrue(o.out().contains(distribution.equals("sharded") ? "sharded(1)" : "replicated"),
          o.out());
      // Losses and accuracies; the last column (elapsed seconds) differs between runs.
      curves.add(Files.readAllLines(out.resolve("curves.csv")).stream()
          .map(line -> line.substring(0, line.lastIndexOf(','))).toList());
    }
    assertEquals(curves.get(0), curves.get(1));
  }

  /** Writes a small Fashion-MNIST-shaped IDX data set (random pixels, {@code side}² images). */
  private static Path idxData(Path dir, int train, int test, int side) throws Exception {
    java.util.Random r = new java.util.Random(17);
    Files.createDirectories(dir);
    for (String part : List.of("train", "t10k")) {
      int n = part.equals("train") ? train : test;
      byte[] px = new byte[n * side * side];
      r.nextBytes(px);
      int[] labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = i % 10;
      }
      IdxWriter.writeImages(dir.resolve(part + "-images-idx3-ubyte.gz"), px, n, side, side);
      IdxWriter.writeLabels(dir.resolve(part + "-labels-idx1-ubyte.gz"), labels);
    }
    return dir;
  }

  @Test
  void missingFashionMnistExitsWithTheInstallCommand() {
    Outcome o = run("--dataset", "fashion-mnist", "--data", tmp.resolve("absent").toString(),
        "--out", tmp.toString());
    assertEquals(2, o.code());
    String firstLine = o.err().lines().findFirst().orElse("");
    assertTrue(firstLine.contains("sudo apt-get install dataset-fashion-mnist"), o.err());
  }

  @Test
  void modelThatDoesNotFitTheImagesIsAUsageError() throws Exception {
    Path data = idxData(tmp.resolve("odd"), 8, 4, 30);
    Outcome o = run("--data", data.toString(), "--model", "vit", "--out", tmp.toString());
    assertEquals(2, o.code());
    assertTrue(o.err().contains("multiples of 4") && o.err().contains("30x30"), o.err());
    Outcome bad = run("--schedule", "linear", "--out", tmp.toString());
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("'--schedule': must be one of constant|cosine"), bad.err());
    Outcome badAugment = run("--augment", "rotate", "--out", tmp.toString());
    assertEquals(2, badAugment.code());
    assertTrue(badAugment.err().contains("'--augment': must be one of none|crop-flip"), badAugment.err());
  }

  @Test
  void resnet18AndVitTrainOnFashionMnistShapedDataOneVariantPerProcessStyle() throws Exception {
    Path data = idxData(tmp.resolve("fmnist"), 64, 32, 28);
    Path out = tmp.resolve("out");
    Outcome first = run("--dataset", "fashion-mnist", "--data", data.toString(), "--model",
        "resnet18", "--width", "4", "--variants", "sgd", "--epochs", "2", "--t1", "1", "--t2",
        "2", "--no-progress", "--out", out.toString());
    System.out.println(first.out());
    assertEquals(0, first.code(), first.err());
    assertTrue(first.out().contains("sgd        epoch 2/2"), first.out());
    assertTrue(first.out().contains("warm-up 1 steps + cosine to 0 at step 2"), first.out());
    Outcome second = run("--dataset", "fashion-mnist", "--data", data.toString(), "--model",
        "resnet18", "--width", "4", "--variants", "shampoo32", "--epochs", "2", "--t1", "1",
        "--t2", "2", "--no-progress", "--append", "--out", out.toString());
    System.out.println(second.out());
    assertEquals(0, second.code(), second.err());
    List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
    assertEquals(3, summary.size(), "the appended run joins the earlier one: " + summary);
    assertTrue(summary.get(1).startsWith("sgd,"), summary.get(1));
    assertTrue(summary.get(2).startsWith("shampoo32,"), summary.get(2));
    assertTrue(second.out().contains("state/sgd"), second.out());

    Path vitOut = tmp.resolve("vit");
    Outcome vit = run("--data", data.toString(), "--model", "vit", "--width", "16",
        "--variants", "adamw,eigen4-l2", "--epochs", "1", "--t1", "1", "--t2", "2",
        "--no-progress", "--out", vitOut.toString());
    System.out.println(vit.out());
    assertEquals(0, vit.code(), vit.err());
    assertTrue(vit.out().contains("base adamw"), vit.out());
    assertTrue(vit.out().contains("state/adamw"), vit.out());
    List<String> vitSummary = Files.readAllLines(vitOut.resolve("summary.csv"));
    assertTrue(vitSummary.get(2).contains(",adamw,ok"), vitSummary.get(2));
  }

  @Test
  void tinyEndToEndRunWritesTableCsvAndPlots() throws Exception {
    Path out = tmp.resolve("out");
    Outcome o = run("--variants", "sgd,eigen4-l2", "--epochs", "1", "--max-train", "192",
        "--max-test", "64", "--width", "64", "--t1", "1", "--t2", "2", "--no-progress",
        "--out", out.toString());
    System.out.println(o.out());
    System.out.println(o.err());
    assertEquals(0, o.code(), o.err());
    assertTrue(o.out().contains("eigen4-l2"), o.out());
    List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
    assertEquals(3, summary.size(), "header and two variants");
    assertTrue(summary.get(1).startsWith("sgd,"), summary.get(1));
    assertTrue(summary.get(2).startsWith("eigen4-l2,"), summary.get(2));
    assertTrue(summary.get(2).endsWith(",ok"), summary.get(2));
    List<String> curves = Files.readAllLines(out.resolve("curves.csv"));
    assertEquals(3, curves.size(), "one epoch per variant");
    for (String png : List.of("loss.png", "accuracy.png", "memory.png")) {
      byte[] bytes = Files.readAllBytes(out.resolve(png));
      assertTrue(bytes.length > 1000, png + " has content");
      assertEquals((byte) 0x89, bytes[0], png + " is a PNG");
      assertEquals((byte) 'P', bytes[1], png + " is a PNG");
    }
  }

  @Test
  void runsHeadless() {
    // Surefire sets it for this module; the CLI's main sets it too.
    assertEquals("true", System.getProperty("java.awt.headless"));
  }

  /**
   * A JRE without java.desktop (the GPU host's) fails as soon as XChart's classes link; fonts
   * missing fail later with UnsatisfiedLinkError or a plain Error. Either way: one warning, the
   * table printed, both CSV files written, no PNG, exit status 0.
   */
  @Test
  void chartsThatCannotBeDrawnAreAWarningAndTheRunSucceeds() throws Exception {
    List<Error> failures = List.of(new NoClassDefFoundError("java/awt/Color"),
        new UnsatisfiedLinkError("libfontmanager.so: libharfbuzz.so.0: cannot open shared object"),
        new Error("Probable fatal error: No fonts found."));
    int i = 0;
    for (Error failure : failures) {
      Path out = tmp.resolve("out" + i++);
      ChartWriter broken = (dir, title, results) -> {
        throw failure;
      };
      Outcome o = run(BenchCommand.commandLine(new BenchCommand(broken)),
          "--variants", "sgd", "--epochs", "1", "--max-train", "128", "--max-test", "32",
          "--width", "16", "--no-progress", "--out", out.toString());
      assertEquals(0, o.code(), o.err());
      assertTrue(o.out().contains("sgd"), "table printed: " + o.out());
      assertTrue(o.out().contains("summary.csv"), o.out());
      assertEquals(1, o.err().lines().count(), "one warning line: " + o.err());
      assertTrue(o.err().startsWith("warning: charts not drawn (" + failure.getClass().getName()),
          o.err());
      assertEquals(2, Files.readAllLines(out.resolve("summary.csv")).size());
      assertEquals(2, Files.readAllLines(out.resolve("curves.csv")).size());
      assertFalse(Files.exists(out.resolve("loss.png")));
    }
  }

  @Test
  void errorsOfTheVirtualMachineAreNotSwallowed() {
    ChartWriter oom = (dir, title, results) -> {
      throw new OutOfMemoryError("test");
    };
    BestEffortCharts charts = new BestEffortCharts(oom, new PrintWriter(new StringWriter()));
    assertThrows(OutOfMemoryError.class, () -> charts.write(tmp, "t", List.of()));
  }
}
