package org.shampoo4j.shampoo.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.health.HealthReport;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;
import org.shampoo4j.testing.FaultyMatrixFunctions;
import org.shampoo4j.testing.ResumeVariants;
import org.shampoo4j.testing.TrainingSession;

/** The failure counts of every block survive a checkpoint, so a resumed run limits failures alike. */
class HealthResumeTest {
  @Test
  void rejectedUpdatesAndFailureRunsAreRestored() throws Exception {
    AtomicReference<FaultyMatrixFunctions> faulty = new AtomicReference<>();
    var optimizers = (java.util.function.Supplier<ShampooOptimizer>) () ->
        ShampooOptimizer.builder()
            .config(ResumeVariants.config(0.05f))
            .representation(EigenBjorckRepresentation.builder(new Linear2Map()).build())
            .baseOptimizer(ResumeVariants.base(ResumeVariants.Base.SGD))
            .matrixFunctions(m -> {
              FaultyMatrixFunctions f = new FaultyMatrixFunctions(new TorchScriptMatrixFunctions(m));
              faulty.set(f);
              return f;
            })
            .build();
    byte[] state;
    List<String> before;
    try (TrainingSession s = new TrainingSession(ResumeVariants.problem(), optimizers)) {
      s.train(2);
      faulty.get().inject(FaultyMatrixFunctions.Fault.NAN);
      s.train(2); // step 3: roots rejected, step 4: statistics rejected
      before = counts(((ShampooOptimizer) s.optimizer()).health());
      state = s.saveState();
    }
    assertTrue(before.stream().anyMatch(c -> !c.equals("0 0 0")), before.toString());
    try (TrainingSession s = new TrainingSession(ResumeVariants.problem(), optimizers)) {
      s.loadState(state);
      assertEquals(before, counts(((ShampooOptimizer) s.optimizer()).health()));
    }
  }

  private static List<String> counts(HealthReport report) {
    List<String> out = new ArrayList<>();
    for (HealthReport.Block b : report.blocks()) {
      out.add(b.rejectedStatistics() + " " + b.rejectedRoots() + " " + b.consecutiveFailures());
    }
    return out;
  }
}
