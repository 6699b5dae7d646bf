package org.shampoo4j.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.shampoo4j.bench.train.EpochRecord;
import org.shampoo4j.bench.train.RunResult;
import org.shampoo4j.quant.MemoryFootprint;

class EpochLogTest {
  @Test
  void lineNamesEpochLossAccuracyAndTimeLeft() {
    String line = EpochLog.line("eigen4-l2", new EpochRecord(2, 0.41234, 0.5, 0.8765, 30), 5,
        12.34, 37.0, 3725.0);
    assertEquals("eigen4-l2  epoch 2/5  train loss 0.4123  test acc 87.65 %  12.3 s/epoch  "
        + "ETA 0m37s (all: ~1h02m)", line);
  }

  @Test
  void printsOneLinePerEpochOnlyWhenGivenAWriter() {
    StringWriter text = new StringWriter();
    EpochLog log = new EpochLog(new PrintWriter(text), 2, 3);
    RunResult soFar = new RunResult("sgd", "d", List.of(new EpochRecord(1, 1, 1, 0.5, 1)), 10, 1,
        MemoryFootprint.ZERO, OptionalLong.empty(), Optional.empty());
    log.epochFinished(soFar, 3);
    log.variantFinished();
    assertTrue(text.toString().startsWith("sgd        epoch 1/3  train loss 1.0000"),
        text.toString());
    assertEquals(1, text.toString().lines().count());
    new EpochLog(null, 1, 1).epochFinished(soFar, 3); // no writer: nothing to print, no error
  }
}
