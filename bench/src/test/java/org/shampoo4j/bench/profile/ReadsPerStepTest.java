package org.shampoo4j.bench.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.List;
import org.junit.jupiter.api.Test;
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

  @Test
  void shampooGuardAddsOneReadPerStepAndOnePerPreconditionedParameterAtRefreshes() {
    List<ReadsPerStep.Row> guarded = ReadsPerStep.measure(ModelKind.MLP, "shampoo32",
        NonFinitePolicy.GUARDED, 2, Device.cpu());
    // UNCHECKED reads only what the preconditioner refresh itself reads (its accept/reject).
    List<ReadsPerStep.Row> unchecked = ReadsPerStep.measure(ModelKind.MLP, "shampoo32",
        NonFinitePolicy.UNCHECKED, 2, Device.cpu());
    System.out.print(ReadsPerStep.render(guarded));
    System.out.print(ReadsPerStep.render(unchecked));
    assertEquals("steady", guarded.get(0).kind());
    assertEquals(1, guarded.get(0).optimizerReads());
    assertEquals(0, unchecked.get(0).optimizerReads());
    // The MLP's three weight matrices are preconditioned; its three biases are not.
    int preconditioned = 3;
    for (int i = 1; i < guarded.size(); i++) {
      assertEquals(1 + preconditioned,
          guarded.get(i).optimizerReads() - unchecked.get(i).optimizerReads(),
          guarded.get(i).toString());
    }
  }
}
