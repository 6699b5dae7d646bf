package org.shampoo4j.bench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
  private static final String SETUP = "digits 192/64, mlp 16";

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
  void aCheckpointOfAnotherSetupIsRefused() {
    OptimizerVariant sgd = VariantCatalogue.standard().select(List.of("sgd")).get(0);
    VariantSettings settings = VariantSettings.builder().build();
    RunCheckpoints checkpoints = new RunCheckpoints(dir);
    trainer().withCheckpoints(Optional.of(checkpoints), Optional.empty(), SETUP)
        .train(sgd, settings);
    RunResult other = trainer().withCheckpoints(Optional.empty(), Optional.of(checkpoints),
        "another setup").train(sgd, settings);
    assertTrue(other.failure().orElse("").contains("was written for another setup"),
        other.failure().toString());
  }
}
