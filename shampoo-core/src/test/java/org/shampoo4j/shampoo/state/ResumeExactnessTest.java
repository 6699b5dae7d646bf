package org.shampoo4j.shampoo.state;

import java.io.IOException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.testing.BitExact;
import org.shampoo4j.testing.ResumeVariants;
import org.shampoo4j.testing.TrainingSession;

/**
 * Resume is exact: N steps, save, load into a new model and optimizer, M steps gives the weights
 * of N + M uninterrupted steps bit for bit, for every representation of this module and every
 * base, with N and M crossing the T1 = 2 and T2 = 3 boundaries. (Cholesky ± EF: the same property
 * in shampoo-cholesky-ef.)
 */
class ResumeExactnessTest {
  @Property(tries = 8, seed = "15")
  void shampooResumesBitForBit(@ForAll ResumeVariants.Representation representation,
      @ForAll ResumeVariants.Base base, @ForAll @IntRange(min = 1, max = 6) int n,
      @ForAll @IntRange(min = 1, max = 5) int m) throws IOException {
    var optimizers = ResumeVariants.shampoo(representation.make(), base);
    BitExact.assertIdentical(
        TrainingSession.uninterrupted(ResumeVariants.problem(), optimizers, n + m),
        TrainingSession.resumed(ResumeVariants.problem(), optimizers, n, m));
  }

  @Property(tries = 3, seed = "15")
  void shardedShampooResumesBitForBit(@ForAll ResumeVariants.Representation representation,
      @ForAll ResumeVariants.Base base, @ForAll @IntRange(min = 1, max = 6) int n,
      @ForAll @IntRange(min = 1, max = 5) int m) throws IOException {
    var optimizers =
        ResumeVariants.shampoo(representation.make(), base, ResumeVariants.shardedOnCpu());
    BitExact.assertIdentical(
        TrainingSession.uninterrupted(ResumeVariants.problem(), optimizers, n + m),
        TrainingSession.resumed(ResumeVariants.problem(), optimizers, n, m));
  }

  @Property(tries = 4, seed = "15")
  void baseOptimizerAloneResumesBitForBit(@ForAll ResumeVariants.Base base,
      @ForAll @IntRange(min = 1, max = 6) int n, @ForAll @IntRange(min = 1, max = 6) int m)
      throws IOException {
    var optimizers = ResumeVariants.alone(base);
    BitExact.assertIdentical(
        TrainingSession.uninterrupted(ResumeVariants.problem(), optimizers, n + m),
        TrainingSession.resumed(ResumeVariants.problem(), optimizers, n, m));
  }
}
