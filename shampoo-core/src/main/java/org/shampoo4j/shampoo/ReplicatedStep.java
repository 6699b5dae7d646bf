package org.shampoo4j.shampoo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.BaseStepBatch;
import org.shampoo4j.shampoo.base.FusedBaseStep;
import org.shampoo4j.shampoo.base.GradientPreprocessor;
import org.shampoo4j.shampoo.base.StateKeys;

/**
 * {@link org.shampoo4j.shampoo.distributed.Replicated} at work: each replica keeps its own state
 * under (parameter, device) and steps itself. With an SGD-momentum or AdamW base, each step's base
 * updates are buffered and applied in one fused call ({@link FusedBaseStep}).
 */
final class ReplicatedStep implements DistributedStep {
  private final StateKeys keys = new StateKeys();
  private final BaseOptimizer base;
  private final GradientPreprocessor preprocessor;
  private final Preconditioning preconditioning;
  // Both null unless the base step is fused.
  private final FusedBaseStep fusedBase;
  private final BaseStepBatch baseBatch;

  ReplicatedStep(BaseOptimizer base, GradientPreprocessor preprocessor,
      Preconditioning preconditioning, boolean fusedBaseStep) {
    this.base = base;
    this.preprocessor = preprocessor;
    this.preconditioning = preconditioning;
    boolean batched = fusedBaseStep && FusedBaseStep.supports(base);
    this.fusedBase = batched ? new FusedBaseStep(base) : null;
    // The fused call also zeroes the batched weights' gradients (one kernel for all of them).
    this.baseBatch = batched ? new BaseStepBatch(u -> fusedBase.applyGated(u, true)) : null;
  }

  @Override
  public String stateKey(String parameterId, Device device) {
    return keys.key(parameterId, device);
  }

  @Override
  public List<Owner> owners(String parameterId, NDArray weight, Optional<BlockLayout> layout) {
    int count = layout.map(BlockLayout::blockCount).orElse(1);
    Owner self = new Owner(weight.getDevice(), weight.getDevice().toString());
    return Collections.nCopies(count, self);
  }

  @Override
  public boolean sharesState() {
    return false;
  }

  @Override
  public void planOwners(Block model) {
    // Every replica owns its own state: nothing to plan.
  }

  @Override
  public boolean admit(String parameterId, NDArray weight) {
    if (baseBatch == null || !FusedBaseStep.accepts(weight)) {
      return false;
    }
    String key = keys.key(parameterId, weight.getDevice());
    try {
      // The step's checks are read when a key comes again: apply what is buffered first, as
      // the per-parameter path would have; then join the batch if this is its next update.
      if (preprocessor.hasPendingCheck(key)) {
        baseBatch.flush();
      }
      return baseBatch.admit(key);
    } catch (RuntimeException e) {
      GradientPreprocessor.clearGradient(weight);
      throw e;
    }
  }

  @Override
  public boolean relayed(String parameterId, NDArray weight) {
    return false;
  }

  @Override
  public void skipped(String parameterId) {
    // Nothing waits for this replica's result.
  }

  @Override
  public boolean step(Update u) {
    ParameterState state = u.state();
    NDArray direction = state.layout == null ? u.gradient()
        : preconditioning.direction(state, u.gradient(), u.step(), u.scratch(), u.gate());
    if (u.batched()) {
      baseBatch.add(u.parameterId(), u.key(), u.weight(), direction, u.lr(), u.step(), u.gate(),
          List.of());
      return true;
    }
    base.update(u.key(), u.weight(), direction, u.lr(), u.step(), u.gate());
    return false;
  }

  @Override
  public void flush() {
    if (baseBatch != null) {
      baseBatch.flush();
    }
  }

  @Override
  public void close() {
    if (baseBatch != null) {
      baseBatch.close();
      fusedBase.close();
    }
  }
}
