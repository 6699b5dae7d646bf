package org.shampoo4j.bench.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shampoo4j.bench.data.Augmentation;
import org.shampoo4j.bench.data.SyntheticDataset;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.variant.OptimizerVariant;
import org.shampoo4j.bench.variant.VariantCatalogue;
import org.shampoo4j.bench.variant.VariantSettings;

class TrainingStepProfilerTest {

  @Test
  void profilesEveryPhaseOfTheBenchStep(@TempDir Path dir) {
    OptimizerVariant sgd = VariantCatalogue.standard().select(List.of("sgd")).get(0);
    TrainingStepProfiler.Profile p = TrainingStepProfiler.profile(
        SyntheticDataset.generate(96, 8, 1).train(), ModelKind.RESNET, 8, sgd,
        VariantSettings.builder().build(), Device.cpu(), Augmentation.cropAndFlip(2), true, 32,
        2, 3, dir);
    String table = TrainingStepProfiler.render(p);
    System.out.print(table);
    assertEquals(TrainingStepProfiler.Phase.values().length, p.phases().size());
    TrainingStepProfiler.PhaseRow batch = p.phases().get(0);
    TrainingStepProfiler.PhaseRow forward = p.phases().get(2);
    TrainingStepProfiler.PhaseRow backward = p.phases().get(4);
    TrainingStepProfiler.PhaseRow step = p.phases().get(6);
    assertEquals(TrainingStepProfiler.Phase.BATCH, batch.phase());
    // Device batches: an index and two gathers, no copy from the host.
    assertTrue(batch.counts().topCalls().stream().anyMatch(e -> e.getKey().equals("aten::gather")),
        table);
    assertTrue(forward.counts().kernels() > 0 && backward.counts().kernels() > 0, table);
    assertTrue(step.counts().calls() > 0, "the optimizer updates every parameter: " + table);
    assertTrue(p.stepEndSyncMillis() > 0 && p.stepPhaseSyncMillis() > 0);
  }
}
