package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.state.CheckpointContents;
import org.shampoo4j.shampoo.state.CheckpointFile;
import org.shampoo4j.testing.BitExact;
import org.shampoo4j.testing.ResumeVariants;
import org.shampoo4j.testing.TrainingSession;

/**
 * Resume is exact for the Cholesky representation with and without error feedback (factor codes,
 * error codes, scales, diagonal, root and the rejection counters all restored), with N and M
 * crossing T1 = 2 and T2 = 3.
 */
class CholeskyResumeTest {
  @Property(tries = 5, seed = "15")
  void choleskyResumesBitForBit(@ForAll boolean errorFeedback, @ForAll ResumeVariants.Base base,
      @ForAll @IntRange(min = 1, max = 6) int n, @ForAll @IntRange(min = 1, max = 5) int m)
      throws IOException {
    var optimizers = ResumeVariants.shampoo(() -> new CholeskyEfRepresentation(new Linear2Map(),
        CholeskyEfConfig.builder().errorFeedback(errorFeedback).build()), base);
    BitExact.assertIdentical(
        TrainingSession.uninterrupted(ResumeVariants.problem(), optimizers, n + m),
        TrainingSession.resumed(ResumeVariants.problem(), optimizers, n, m));
  }

  @Test
  void checkpointBytesAreTheMemoryReportsBytes() throws IOException {
    var optimizers = ResumeVariants.shampoo(
        () -> new CholeskyEfRepresentation(new Linear2Map(), CholeskyEfConfig.defaults()),
        ResumeVariants.Base.ADAMW4);
    try (TrainingSession s = new TrainingSession(ResumeVariants.problem(), optimizers)) {
      s.train(4);
      byte[] state = s.saveState();
      CheckpointContents c = CheckpointFile.read(new ByteArrayInputStream(state));
      assertEquals(((ShampooOptimizer) s.optimizer()).memoryReport().total().total(),
          c.dataBytes());
    }
  }
}
