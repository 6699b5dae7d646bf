package org.shampoo4j.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shampoo4j.bench.train.EpochRecord;
import org.shampoo4j.bench.train.RunResult;
import org.shampoo4j.quant.MemoryFootprint;

class ReportTest {
  @TempDir Path tmp;

  private static RunResult result(String id, long fp32, long codes, Optional<String> failure) {
    return new RunResult(id, "a, \"quoted\" description",
        List.of(new EpochRecord(1, 1.5, 1.2, 0.5, 1.0), new EpochRecord(2, 0.5, 0.4, 0.875, 2.0)),
        40, 2.0, new MemoryFootprint(codes, codes / 8, fp32), failure);
  }

  @Test
  void tableRatiosAreRelativeToShampoo32() {
    List<RunResult> rs = List.of(result("shampoo32", 8192, 0, Optional.empty()),
        result("eigen4-l2", 1024, 1024, Optional.of("diverged")));
    String table = new ResultTable(rs).render();
    System.out.println(table);
    List<String[]> rows = new ResultTable(rs).rows();
    assertEquals("1.000", rows.get(1)[11]);
    // (1024 + 128 + 1024) / 8192
    assertEquals("0.266", rows.get(2)[11]);
    assertEquals("87.50", rows.get(2)[4]);
    assertEquals("50.00", rows.get(2)[6], "2 s over 40 steps");
    assertTrue(rows.get(2)[12].startsWith("FAILED: diverged"));
  }

  @Test
  void csvQuotesFieldsAndListsEveryEpoch() throws Exception {
    CsvReport.write(tmp, List.of(result("sgd", 100, 0, Optional.empty())));
    List<String> summary = Files.readAllLines(tmp.resolve(CsvReport.SUMMARY));
    assertTrue(summary.get(1).startsWith("sgd,\"a, \"\"quoted\"\" description\",2,40,"),
        summary.get(1));
    assertTrue(summary.get(1).contains(",100,0,0,100,ok"), summary.get(1));
    List<String> curves = Files.readAllLines(tmp.resolve(CsvReport.CURVES));
    assertEquals(3, curves.size());
    assertEquals("sgd,2,0.500000,0.400000,0.875000,2.00000", curves.get(2));
  }
}
