package org.shampoo4j.bench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import org.shampoo4j.bench.cli.BenchCommand;
import org.shampoo4j.bench.data.DigitsDataset;
import org.shampoo4j.bench.data.TrainTestSplit;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.report.ResultTable;
import org.shampoo4j.bench.variant.OptimizerVariant;
import org.shampoo4j.bench.variant.VariantCatalogue;
import org.shampoo4j.bench.variant.VariantSettings;

/**
 * A run interrupted after an epoch and resumed from its checkpoint reports exactly what the
 * uninterrupted run reports (every column of the table but the times), on the built-in digits.
 */
class ResumedRunTest {
  private static final TrainTestSplit DATA = DigitsDataset.split(0.2, 3).limit(192, 64);
  private static final RunSetup SETUP =
      RunSetup.of(Map.of("data", "digits 192/64", "model", "mlp 16"));

  @TempDir Path dir;

  private static ModelTrainer trainer() {
    return new ModelTrainer(DATA, ModelKind.MLP,
        TrainingSettings.builder().epochs(3).batchSize(32).width(16).seed(9).progress(false)
            .build());
  }

  @Test
  void aResumedRunsTableEqualsTheUninterruptedOnes() throws Exception {
    VariantSettings settings =
        VariantSettings.builder().statisticInterval(2).rootInterval(5).build();
    List<OptimizerVariant> variants =
        VariantCatalogue.standard().select(List.of("eigen4-l2", "chol4-ef", "adamw4"));
    RunCheckpoints checkpoints = new RunCheckpoints(dir);
    List<RunResult> uninterrupted = new ArrayList<>();
    List<RunResult> resumed = new ArrayList<>();
    for (OptimizerVariant v : variants) {
      uninterrupted.add(trainer().train(v, settings));
      // "Crash" after epoch 1: the listener throws after the checkpoint was written.
      RunResult crashed = trainer().withCheckpoints(Optional.of(checkpoints), Optional.empty(),
          SETUP).train(v, settings, (soFar, planned) -> {
            throw new IllegalStateException("simulated crash");
          });
      assertTrue(crashed.failure().orElse("").contains("simulated crash"));
      assertTrue(Files.exists(dir.resolve(v.id()).resolve("epoch-0001")));
      resumed.add(trainer().withCheckpoints(Optional.of(checkpoints), Optional.of(checkpoints),
          SETUP).train(v, settings));
      assertTrue(Files.exists(dir.resolve(v.id()).resolve("epoch-0003")));
      assertFalse(Files.exists(dir.resolve(v.id()).resolve("epoch-0001")), "old epochs removed");
    }
    for (int i = 0; i < variants.size(); i++) {
      RunResult a = uninterrupted.get(i);
      RunResult b = resumed.get(i);
      assertTrue(b.failure().isEmpty(), b.failure().toString());
      assertEquals(a.steps(), b.steps());
      assertEquals(a.stateMemory(), b.stateMemory());
      for (int e = 0; e < 3; e++) {
        EpochRecord x = a.epochs().get(e);
        EpochRecord y = b.epochs().get(e);
        assertEquals(x.trainLoss(), y.trainLoss(), a.variant() + " epoch " + (e + 1));
        assertEquals(x.testLoss(), y.testLoss(), a.variant() + " epoch " + (e + 1));
        assertEquals(x.testAccuracy(), y.testAccuracy(), a.variant() + " epoch " + (e + 1));
      }
    }
    List<String[]> expected = new ResultTable(uninterrupted).rows();
    List<String[]> actual = new ResultTable(resumed).rows();
    String[] header = expected.get(0);
    for (int r = 0; r < expected.size(); r++) {
      for (int c = 0; c < header.length; c++) {
        if (!header[c].contains("s/epoch") && !header[c].contains("ms/step")
            && !header[c].startsWith("time/")) {
          assertEquals(expected.get(r)[c], actual.get(r)[c], "row " + r + ", " + header[c]);
        }
      }
    }
  }

  @Test
  void theCommandLineWritesCheckpointsAndResumesFromThem() throws Exception {
    String[] common = {"--variants", "adamw4,eigen4-l2", "--epochs", "2", "--max-train", "96",
        "--max-test", "32", "--width", "16", "--no-progress", "--no-charts"};
    StringWriter first = new StringWriter();
    CommandLine a = BenchCommand.commandLine();
    a.setOut(new PrintWriter(first));
    List<String> args = new ArrayList<>(List.of(common));
    args.addAll(List.of("--checkpoint", dir.resolve("ck").toString(), "--out",
        dir.resolve("a").toString()));
    assertEquals(0, a.execute(args.toArray(String[]::new)), first.toString());
    assertTrue(Files.exists(dir.resolve("ck/adamw4/LATEST")));
    assertTrue(Files.exists(dir.resolve("ck/eigen4-l2/epoch-0002/optimizer.state")));
    // Resuming a finished run trains nothing more and reports the same numbers.
    StringWriter second = new StringWriter();
    CommandLine b = BenchCommand.commandLine();
    b.setOut(new PrintWriter(second));
    args = new ArrayList<>(List.of(common));
    args.addAll(List.of("--resume", dir.resolve("ck").toString(), "--out",
        dir.resolve("b").toString()));
    assertEquals(0, b.execute(args.toArray(String[]::new)), second.toString());
    assertEquals(Files.readAllLines(dir.resolve("a/curves.csv")).size(),
        Files.readAllLines(dir.resolve("b/curves.csv")).size());
    assertEquals(lossColumns(dir.resolve("a/summary.csv")), lossColumns(dir.resolve("b/summary.csv")));
  }

  /** The summary's rows without the columns that hold times. */
  private static List<String> lossColumns(Path summary) throws java.io.IOException {
    List<String> lines = Files.readAllLines(summary);
    String[] header = lines.get(0).split(",");
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      String[] cells = line.split(",");
      StringBuilder kept = new StringBuilder();
      for (int c = 0; c < header.length && c < cells.length; c++) {
        if (!List.of("train_seconds", "seconds_per_epoch", "ms_per_step", "time_vs_shampoo32",
            "time_vs_base").contains(header[c])) {
          kept.append(cells[c]).append(',');
        }
      }
      out.add(kept.toString());
    }
    return out;
  }

  @Test
  void aCheckpointOfAnotherSetupIsRefused() {
    OptimizerVariant sgd = VariantCatalogue.standard().select(List.of("sgd")).get(0);
    VariantSettings settings = VariantSettings.builder().build();
    RunCheckpoints checkpoints = new RunCheckpoints(dir);
    trainer().withCheckpoints(Optional.of(checkpoints), Optional.empty(), SETUP)
        .train(sgd, settings);
    RunResult other = trainer().withCheckpoints(Optional.empty(), Optional.of(checkpoints),
        RunSetup.of(Map.of("data", "digits 192/64", "model", "mlp 32"))).train(sgd, settings);
    assertTrue(other.failure().orElse("").contains("was written for another setup: "
        + "model: checkpoint 'mlp 16', this run 'mlp 32'"), other.failure().toString());
  }
}
