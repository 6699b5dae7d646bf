package org.shampoo4j.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shampoo4j.bench.data.MalformedDataException;
import org.shampoo4j.bench.train.EpochRecord;
import org.shampoo4j.bench.train.RunResult;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.health.HealthReport;

class ReportTest {
  @TempDir Path tmp;

  private static RunResult result(String id, long fp32, long codes, OptionalLong peak,
      Optional<String> failure) {
    return new RunResult(id, "a, \"quoted\" description",
        List.of(new EpochRecord(1, 1.5, 1.2, 0.5, 1.0), new EpochRecord(2, 0.5, 0.4, 0.875, 2.0)),
        40, 2.0, new MemoryFootprint(codes, codes / 8, fp32), peak, failure);
  }

  private static RunResult result(String id, long fp32, long codes, Optional<String> failure) {
    return result(id, fp32, codes, OptionalLong.empty(), failure);
  }

  @Test
  void tableRatiosAreRelativeToShampoo32AndTheBase() {
    List<RunResult> rs = List.of(
        result("sgd", 2048, 0, OptionalLong.of(1000), Optional.empty()),
        result("shampoo32", 8192, 0, OptionalLong.of(4000), Optional.empty()),
        result("eigen4-l2", 1024, 1024, OptionalLong.of(2000), Optional.of("diverged")));
    String table = new ResultTable(rs, "sgd").render();
    System.out.println(table);
    List<String[]> rows = new ResultTable(rs, "sgd").rows();
    String[] header = rows.get(0);
    assertEquals("state/s32", header[13]);
    assertEquals("state/sgd", header[14]);
    String[] eigen = rows.get(3);
    assertEquals("87.50", eigen[4]);
    assertEquals("+0.00", eigen[5], "same accuracy as shampoo32");
    assertEquals("1.0", eigen[6], "2 s over 2 epochs");
    assertEquals("50.00", eigen[7], "2 s over 40 steps");
    // (1024 + 128 + 1024) / 8192 and / 2048
    assertEquals("0.266", eigen[13]);
    assertEquals("1.063", eigen[14]);
    assertEquals("0.500", eigen[15], "peak 2000 / 4000");
    assertEquals("2.000", eigen[16], "peak 2000 / 1000");
    assertEquals("1.00", eigen[17]);
    assertTrue(eigen[19].startsWith("FAILED: diverged"));
    assertEquals("1.000", rows.get(2)[13]);
  }

  @Test
  void missingReferencesAndCpuPeaksShowDashes() {
    List<String[]> rows = new ResultTable(
        List.of(result("eigen4-l2", 1024, 1024, Optional.empty())), "adamw").rows();
    assertEquals("state/adamw", rows.get(0)[14]);
    assertEquals("n/a", rows.get(1)[12]);
    for (int c = 13; c <= 18; c++) {
      assertEquals("-", rows.get(1)[c], "column " + rows.get(0)[c]);
    }
  }

  @Test
  void csvQuotesFieldsAndListsEveryEpoch() throws Exception {
    CsvReport.write(tmp, List.of(result("sgd", 100, 0, Optional.empty())));
    List<String> summary = Files.readAllLines(tmp.resolve(CsvReport.SUMMARY));
    assertTrue(summary.get(1).startsWith("sgd,\"a, \"\"quoted\"\" description\",2,40,"),
        summary.get(1));
    assertTrue(summary.get(1).contains(",100,0,0,100,,"), summary.get(1));
    assertTrue(summary.get(1).endsWith(",sgd,ok"), summary.get(1));
    List<String> curves = Files.readAllLines(tmp.resolve(CsvReport.CURVES));
    assertEquals(3, curves.size());
    assertEquals("sgd,2,0.500000,0.400000,0.875000,2.00000", curves.get(2));
  }

  /** Per-block health counts of Shampoo runs go to health.csv, one row per block. */
  @Test
  void healthCsvListsEveryBlockOfEveryShampooRun() throws Exception {
    RunResult plain = result("sgd", 64, 0, Optional.empty());
    RunResult base = result("eigen4-l2", 64, 32, Optional.empty());
    RunResult shampoo = new RunResult(base.variant(), base.description(), base.epochs(),
        base.steps(), base.trainSeconds(), base.stateMemory(), base.peakDeviceBytes(),
        base.failure(), List.of(), List.of(
            new HealthReport.Block("w0", 0, 0, 0, 0, null),
            new HealthReport.Block("w0", 1, 2, 1, 1, "root of block 1: not finite")));
    assertTrue(CsvReport.write(tmp, List.of(plain)).stream()
        .noneMatch(p -> p.endsWith(CsvReport.HEALTH)), "no health.csv without preconditioners");
    List<Path> written = CsvReport.write(tmp, List.of(plain, shampoo));
    assertTrue(written.contains(tmp.resolve(CsvReport.HEALTH)), written.toString());
    assertEquals(List.of(
        "variant,parameter,block,rejected_statistics,rejected_roots,consecutive_failures,"
            + "last_failure",
        "eigen4-l2,w0,0,0,0,0,", "eigen4-l2,w0,1,2,1,1,root of block 1: not finite"),
        Files.readAllLines(tmp.resolve(CsvReport.HEALTH)));
  }

  @Test
  void csvReadsBackWhatItWrote() throws Exception {
    List<RunResult> rs = List.of(
        result("shampoo32", 8192, 0, OptionalLong.of(123_456_789L), Optional.empty()),
        result("naive4", 1024, 2048, OptionalLong.empty(), Optional.of("diverged: NaN")),
        result("chol4-ef", 10, 20, OptionalLong.of(5), Optional.of("interrupted after epoch 2 of 5")));
    CsvReport.write(tmp, rs, "adamw");
    List<RunResult> back = CsvReport.read(tmp);
    assertEquals(rs, back);
    assertEquals("interrupted after epoch 2 of 5", back.get(2).status());
    assertEquals("failed: diverged: NaN", back.get(1).status());
  }

  @Test
  void readingNothingGivesNoRunsAndABrokenFileIsNamed() throws Exception {
    assertEquals(List.of(), CsvReport.read(tmp));
    Files.writeString(tmp.resolve(CsvReport.SUMMARY), "variant,steps\nsgd,1,2\n");
    MalformedDataException e =
        assertThrows(MalformedDataException.class, () -> CsvReport.read(tmp));
    assertTrue(e.getMessage().contains(CsvReport.SUMMARY), e.getMessage());
  }

  @Test
  void mergeReplacesRunsOfTheSameVariantInPlace() {
    RunResult a = result("sgd", 1, 0, Optional.empty());
    RunResult b = result("shampoo32", 2, 0, Optional.empty());
    RunResult b2 = result("shampoo32", 3, 0, Optional.empty());
    RunResult c = result("naive4", 4, 0, Optional.empty());
    assertEquals(List.of(a, b2, c), CsvReport.merge(List.of(a, b), List.of(b2, c)));
  }

  @Test
  void csvFieldsSplitQuotedCommasAndQuotes() {
    assertEquals(List.of("a", "b, \"c\"", "", "d"), CsvReport.fields("a,\"b, \"\"c\"\"\",,d"));
  }
}
