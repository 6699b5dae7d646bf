package org.shampoo4j.shampoo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.BaseStepBatch;
import org.shampoo4j.shampoo.base.FusedBaseStep;
import org.shampoo4j.shampoo.base.GradientPreprocessor;
import org.shampoo4j.shampoo.base.StateKeys;
import org.shampoo4j.shampoo.base.UpdateGate;
import org.shampoo4j.shampoo.state.ParameterSet;

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
  // Null unless the batch's directions are computed together.
  private final DirectionBatch directions;

  /**
   * @param batchedGrafting the grafting of directions computed together at the batch's flush
   *     ({@link DirectionBatch}), or null to compute each direction as its update arrives
   */
  ReplicatedStep(BaseOptimizer base, GradientPreprocessor preprocessor,
      Preconditioning preconditioning, boolean fusedBaseStep, Grafting batchedGrafting) {
    this.base = base;
    this.preprocessor = preprocessor;
    this.preconditioning = preconditioning;
    boolean batched = fusedBaseStep && FusedBaseStep.supports(base);
    this.fusedBase = batched ? new FusedBaseStep(base) : null;
    this.directions = batched && batchedGrafting != null
        ? new DirectionBatch(preconditioning, batchedGrafting) : null;
    this.baseBatch = batched ? new BaseStepBatch(this::apply) : null;
  }

  /**
   * Applies a flushed batch in one fused call (which also zeroes the weights' gradients: one
   * kernel for all), after swapping deferred gradients for their directions in one more call.
   */
  private void apply(List<BaseStepBatch.Pending> updates) {
    if (directions == null) {
      fusedBase.applyGated(updates, true);
      return;
    }
    try (NDManager held = updates.get(0).weight().getManager().newSubManager()) {
      apply(updates, held);
    }
  }

  /** {@link #apply(List)} with the gates' flags, made or given, in {@code held}. */
  private void apply(List<BaseStepBatch.Pending> updates, NDManager held) {
    fusedBase.applyGated(directions.resolve(withGates(updates, held), held), true);
  }

  /**
   * {@code updates} with a gate for each that came without one: their gradients checked in one
   * call, the checks kept by the preprocessor for the next read (a failed update's undo runs
   * then), the flags in {@code held}.
   */
  private List<BaseStepBatch.Pending> withGates(List<BaseStepBatch.Pending> updates,
      NDManager held) {
    List<Integer> at = new ArrayList<>();
    List<GradientPreprocessor.BatchEntry> entries = new ArrayList<>();
    List<NDArray> weights = new ArrayList<>();
    List<NDArray> grads = new ArrayList<>();
    for (int i = 0; i < updates.size(); i++) {
      BaseStepBatch.Pending p = updates.get(i);
      if (p.gate() == null) {
        at.add(i);
        entries.add(new GradientPreprocessor.BatchEntry(p.parameterId(), p.key(),
            p.weight().getShape().toString(), p.undo()));
        weights.add(p.weight());
        grads.add(p.gradient());
      }
    }
    if (at.isEmpty()) {
      return updates;
    }
    List<UpdateGate> gates = preprocessor.guardAll(entries, weights, grads, held);
    List<BaseStepBatch.Pending> out = new ArrayList<>(updates);
    for (int j = 0; j < at.size(); j++) {
      out.set(at.get(j), updates.get(at.get(j)).withGate(gates.get(j)));
    }
    return out;
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
    if (u.batched() && directions != null && state.layout != null
        && preconditioning.fused(u.gradient().getDevice())) {
      // Refresh now (from this gradient, through this gate); the direction comes at the flush.
      // An update without a gate refreshes nothing (ShampooOptimizer checks later only then).
      if (u.gate() != null) {
        preconditioning.refreshDue(state, u.gradient(), u.step(), u.gate());
      }
      boolean deferred = state.preconditioned();
      if (deferred) {
        directions.defer(u.key(), state);
      }
      try {
        baseBatch.add(u.parameterId(), u.key(), u.weight(), u.gradient(), u.lr(), u.step(),
            u.gate(), u.undo());
      } catch (RuntimeException e) {
        if (deferred) {
          directions.cancel(u.key());
        }
        throw e;
      }
      return true;
    }
    NDArray direction = state.layout == null ? u.gradient()
        : preconditioning.direction(state, u.gradient(), u.step(), u.scratch(), u.gate());
    if (u.batched()) {
      baseBatch.add(u.parameterId(), u.key(), u.weight(), direction, u.lr(), u.step(), u.gate(),
          u.undo());
      return true;
    }
    base.update(u.key(), u.weight(), direction, u.lr(), u.step(), u.gate());
    return false;
  }

  @Override
  public boolean takesWholeSteps(Device device) {
    return directions != null && preconditioning.fused(device);
  }

  @Override
  public void stepAll(List<Update> updates) {
    if (updates.isEmpty()) {
      return;
    }
    if (!takesWholeSteps(updates.get(0).weight().getDevice())) {
      throw new UnsupportedOperationException("whole steps need the fused base step, batched"
          + " directions and the step kernels on " + updates.get(0).weight().getDevice());
    }
    baseBatch.flush();
    List<BaseStepBatch.Pending> pending = new ArrayList<>(updates.size());
    for (Update u : updates) {
      if (u.gradient() != null || u.gate() != null) {
        throw new IllegalArgumentException("the updates of a whole step come without gradient"
            + " and gate; '" + u.parameterId() + "' has one");
      }
      pending.add(new BaseStepBatch.Pending(u.parameterId(), u.key(), u.weight(), null, u.lr(),
          u.step(), null, new ArrayList<>(u.undo())));
    }
    try (NDManager held = updates.get(0).weight().getManager().newSubManager()) {
      if (updates.stream().anyMatch(u -> preconditioning.refreshesAt(u.state(), u.step()))) {
        // A refresh must know its gate before it lands: the step's checks come first.
        pending = withGates(pending, held);
        refreshAll(updates, pending, held);
      }
      for (Update u : updates) {
        if (u.state().layout != null && u.state().preconditioned()) {
          directions.defer(u.key(), u.state());
        }
      }
      apply(pending, held);
    } catch (RuntimeException e) {
      updates.forEach(u -> directions.cancel(u.key())); // marks the failed call did not take
      throw e;
    }
  }

  /** The refreshes due in a whole step, from the weights' gradients, under their gates. */
  private void refreshAll(List<Update> updates, List<BaseStepBatch.Pending> gated,
      NDManager held) {
    List<ParameterState> states = new ArrayList<>();
    List<NDArray> grads = new ArrayList<>();
    List<Integer> steps = new ArrayList<>();
    List<UpdateGate> gates = new ArrayList<>();
    for (int i = 0; i < updates.size(); i++) {
      Update u = updates.get(i);
      if (preconditioning.refreshesAt(u.state(), u.step())) {
        NDArray grad = u.weight().getGradient();
        grad.attach(held);
        states.add(u.state());
        grads.add(grad);
        steps.add(u.step());
        gates.add(gated.get(i).gate());
      }
    }
    preconditioning.refreshAll(states, grads, steps, gates);
  }

  @Override
  public boolean checksLater() {
    return directions != null;
  }

  @Override
  public void expectOrder(ParameterSet parameters) {
    if (baseBatch == null) {
      return;
    }
    List<String> order = new ArrayList<>();
    for (ParameterSet.Entry e : parameters.entries()) {
      // DJL updates the parameters that take gradients, in the block's order; a guess that
      // turns out wrong only makes the batch learn the order again.
      if (e.array().hasGradient() && FusedBaseStep.accepts(e.array())) {
        order.add(keys.key(e.id(), e.array().getDevice()));
      }
    }
    if (!order.isEmpty()) {
      baseBatch.expect(order);
    }
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
    if (directions != null) {
      directions.close();
    }
  }
}
