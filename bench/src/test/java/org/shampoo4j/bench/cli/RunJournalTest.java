package org.shampoo4j.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shampoo4j.bench.report.CsvReport;
import org.shampoo4j.bench.train.EpochRecord;
import org.shampoo4j.bench.train.RunResult;
import org.shampoo4j.quant.MemoryFootprint;

/** The interruption logic, driven by calling the hook's method instead of sending a signal. */
class RunJournalTest {
  @TempDir Path tmp;

  private static RunResult run(String id, int epochs) {
    List<EpochRecord> records = new java.util.ArrayList<>();
    for (int e = 1; e <= epochs; e++) {
      records.add(new EpochRecord(e, 1.0 / e, 1.1 / e, 0.5 + 0.1 * e, e));
    }
    return new RunResult(id, id + " description", records, 10L * epochs, epochs,
        new MemoryFootprint(0, 0, 1000), OptionalLong.empty(), Optional.empty());
  }

  @Test
  void interruptionWritesFinishedVariantsAndTheEpochsOfTheOneInFlight() throws Exception {
    StringWriter err = new StringWriter();
    RunJournal journal = new RunJournal(tmp, "sgd", List.of(), new PrintWriter(err));
    journal.variantFinished(run("sgd", 3));
    journal.epochFinished(run("shampoo32", 1), 3);
    journal.epochFinished(run("shampoo32", 2), 3);

    assertTrue(journal.onShutdown(), "an unfinished invocation writes on shutdown");
    List<RunResult> back = CsvReport.read(tmp);
    assertEquals(2, back.size());
    assertEquals("ok", back.get(0).status());
    assertEquals(3, back.get(0).epochs().size());
    assertEquals("shampoo32", back.get(1).variant());
    assertEquals(2, back.get(1).epochs().size(), "both finished epochs are kept");
    assertEquals("interrupted after epoch 2 of 3", back.get(1).status());
    assertTrue(err.toString().contains("interrupted: 1 variant(s) finished, shampoo32 "
        + "interrupted after epoch 2 of 3"), err.toString());
  }

  @Test
  void filesAreCurrentAfterEveryEpochSoAHardKillLosesAtMostOneEpoch() throws Exception {
    RunJournal journal = new RunJournal(tmp, "sgd", List.of(), new PrintWriter(new StringWriter()));
    journal.epochFinished(run("sgd", 1), 2);
    assertEquals("interrupted after epoch 1 of 2", CsvReport.read(tmp).get(0).status());
    journal.variantFinished(run("sgd", 2));
    assertEquals("ok", CsvReport.read(tmp).get(0).status());
  }

  @Test
  void completedInvocationWritesNothingOnShutdown() throws Exception {
    RunJournal journal = new RunJournal(tmp, "sgd", List.of(), new PrintWriter(new StringWriter()));
    journal.variantFinished(run("sgd", 1));
    journal.complete();
    Files.delete(tmp.resolve(CsvReport.SUMMARY));
    assertFalse(journal.onShutdown());
    assertFalse(Files.exists(tmp.resolve(CsvReport.SUMMARY)));
  }

  @Test
  void earlierRunsComeFirstAndAreReplacedByANewRunOfTheSameVariant() {
    RunJournal journal = new RunJournal(tmp, "adamw",
        List.of(run("adamw", 2), run("shampoo32", 1)), new PrintWriter(new StringWriter()));
    journal.variantFinished(run("shampoo32", 2));
    journal.variantFinished(run("naive4", 2));
    List<RunResult> all = journal.results();
    assertEquals(List.of("adamw", "shampoo32", "naive4"),
        all.stream().map(RunResult::variant).toList());
    assertEquals(2, all.get(1).epochs().size(), "the new shampoo32 run replaced the old one");
    assertEquals(2, journal.finished().size());
  }
}
