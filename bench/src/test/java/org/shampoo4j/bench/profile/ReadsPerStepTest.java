package org.shampoo4j.bench.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.shampoo.base.NonFinitePolicy;

/**
 * The read counts that motivate {@link NonFinitePolicy#GUARDED}: one read per training step for
 * the whole model, where {@link NonFinitePolicy#THROW} reads once per parameter.
 */
class ReadsPerStepTest {
  @Test
  void guardedReadsOncePerStepAndThrowOncePerParameter() {
    List<ReadsPerStep.Row> guarded =
        ReadsPerStep.measure(ModelKind.MLP, "sgd", NonFinitePolicy.GUARDED, 2, Device.cpu());
    List<ReadsPerStep.Row> immediate =
        ReadsPerStep.measure(ModelKind.MLP, "sgd", NonFinitePolicy.THROW, 2, Device.cpu());
    List<ReadsPerStep.Row> unchecked =
        ReadsPerStep.measure(ModelKind.MLP, "sgd", NonFinitePolicy.UNCHECKED, 2, Device.cpu());
    System.out.print(ReadsPerStep.render(guarded));
    System.out.print(ReadsPerStep.render(immediate));
    int parameters = guarded.get(0).parameters();
    assertTrue(parameters > 1);
    for (int i = 0; i < guarded.size(); i++) {
      assertEquals(1, guarded.get(i).optimizerReads());
      assertEquals(parameters, immediate.get(i).optimizerReads());
      assertEquals(0, unchecked.get(i).optimizerReads());
      // The rest of the step (forward, loss, backward) reads nothing.
      assertEquals(guarded.get(i).optimizerReads(), guarded.get(i).stepReads());
    }
  }

  /**
   * GUARDED's gate flag travels with the refresh batches' own finiteness flags: a Shampoo step
   * reads once more than UNCHECKED (its step-wide check), however many preconditioned parameters
   * refresh at T1 or T2. UNCHECKED reads once per refresh batch (and once per member refreshed
   * alone), so a GUARDED refresh step of shampoo32, all of whose members are batched, reads 1 +
   * (batches).
   */
  @ParameterizedTest
  @ValueSource(strings = {"shampoo32", "eigen4-l2", "naive4"})
  void shampooGuardReadsOncePerStepAtRefreshes(String variant) {
    List<ReadsPerStep.Row> guarded =
        ReadsPerStep.measure(ModelKind.MLP, variant, NonFinitePolicy.GUARDED, 2, Device.cpu());
    List<ReadsPerStep.Row> unchecked =
        ReadsPerStep.measure(ModelKind.MLP, variant, NonFinitePolicy.UNCHECKED, 2, Device.cpu());
    System.out.print(ReadsPerStep.render(guarded));
    System.out.print(ReadsPerStep.render(unchecked));
    assertEquals("steady", guarded.get(0).kind());
    assertEquals(1, guarded.get(0).optimizerReads());
    assertEquals(0, unchecked.get(0).optimizerReads());
    if (variant.equals("shampoo32")) {
      // The MLP's three weight matrices are preconditioned, every block batched (one batch each
      // per refresh kind); its three biases are not. T2 (step 8) is also a T1 step. (The 4-bit
      // variants keep a small side unquantized, refreshed alone with a read of its own.)
      int preconditioned = 3;
      assertEquals("t1", unchecked.get(1).kind());
      assertEquals(preconditioned, unchecked.get(1).optimizerReads());
      assertEquals("t2", unchecked.get(2).kind());
      assertEquals(2 * preconditioned, unchecked.get(2).optimizerReads());
    }
    for (int i = 1; i < guarded.size(); i++) {
      assertEquals(1 + unchecked.get(i).optimizerReads(), guarded.get(i).optimizerReads(),
          guarded.get(i).toString());
    }
  }

  /**
   * chol4-ef's statistics are batched too (the bank's Cholesky factor update): at T1 and T2 its
   * gate's flag travels with the refresh batches' reads, so GUARDED adds one read per step (the
   * steady step's flag, read at the next step's start) to what UNCHECKED reads, as for the other
   * representations, and no longer one per preconditioned parameter.
   */
  @Test
  void choleskyGateFoldsIntoItsRefreshBatchesReads() {
    List<ReadsPerStep.Row> guarded = ReadsPerStep.measure(ModelKind.MLP, "chol4-ef",
        NonFinitePolicy.GUARDED, 2, Device.cpu());
    List<ReadsPerStep.Row> unchecked = ReadsPerStep.measure(ModelKind.MLP, "chol4-ef",
        NonFinitePolicy.UNCHECKED, 2, Device.cpu());
    System.out.print(ReadsPerStep.render(guarded));
    System.out.print(ReadsPerStep.render(unchecked));
    assertEquals(1, guarded.get(0).optimizerReads());
    for (int i = 1; i < guarded.size(); i++) {
      assertEquals(1 + unchecked.get(i).optimizerReads(), guarded.get(i).optimizerReads(),
          guarded.get(i).toString());
    }
  }
}
