package org.shampoo4j.bench.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shampoo4j.bench.variant.RepresentationChoice;
import org.shampoo4j.shampoo.RefreshStacking;

class StepProfilerTest {

  @Test
  void profilesEachKindOfStepAndRefreshesCostMoreCalls(@TempDir Path dir) {
    List<StepProfiler.Row> rows =
        StepProfiler.profile(RepresentationChoice.byId("eigen4-l2"), 8, 1200, Device.cpu(), 1,
            RefreshStacking.GPU_ONLY, dir);
    assertEquals(3, rows.size());
    StepProfiler.Row steady = rows.get(0);
    StepProfiler.Row t2 = rows.get(2);
    assertEquals(StepProfiler.StepKind.STEADY, steady.kind());
    assertEquals(1, steady.blocks());
    assertTrue(steady.counts().calls() > 0 && steady.counts().kernels() > 0);
    assertTrue(t2.counts().calls() > steady.counts().calls(), StepProfiler.render(rows));
    assertTrue(StepProfiler.render(rows).contains("eigen4-l2"));
  }
}
