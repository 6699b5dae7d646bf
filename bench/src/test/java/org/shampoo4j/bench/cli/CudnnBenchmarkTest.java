package org.shampoo4j.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CudnnBenchmarkTest {
  @Test
  void parsesOnAndOffAndNamesTheOptionOtherwise() {
    assertTrue(CudnnBenchmark.parse(" ON "));
    assertFalse(CudnnBenchmark.parse("off"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CudnnBenchmark.parse("yes"));
    assertTrue(e.getMessage().contains("--cudnn-benchmark"), e.getMessage());
  }

  @Test
  void setsDjlsPropertyEitherWay() {
    String before = System.getProperty(CudnnBenchmark.PROPERTY);
    try {
      CudnnBenchmark.set(true);
      assertEquals("true", System.getProperty(CudnnBenchmark.PROPERTY));
      CudnnBenchmark.set(false);
      assertEquals("false", System.getProperty(CudnnBenchmark.PROPERTY));
    } finally {
      if (before == null) {
        System.clearProperty(CudnnBenchmark.PROPERTY);
      } else {
        System.setProperty(CudnnBenchmark.PROPERTY, before);
      }
    }
  }
}
