package org.shampoo4j.shampoo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.shampoo4j.shampoo.base.BaseStepBatch;
import org.shampoo4j.shampoo.representation.StepRoot;

/**
 * The Shampoo directions of one training step's preconditioned parameters, computed together
 * when the step's base batch is applied: each such update enters the {@link BaseStepBatch} with
 * its gradient, and {@link #resolve} swaps those gradients for their directions in one call of
 * {@link StepKernels#directions} per device, just before the fused base call. A step then costs
 * the host two calls instead of one per parameter plus one, and the module stacks the blocks of
 * all parameters per shape, so a step launches kernels per class of block shape rather than per
 * block. Refreshes (T1, T2) still run when each update arrives, before its gradient is buffered.
 *
 * <p>Keeps the last plan (and its index arrays on the device) while the layouts and root flags
 * stay the same, so a steady step writes nothing from the host. Not thread-safe: DJL calls an
 * optimizer from one thread.
 */
final class DirectionBatch implements AutoCloseable {
  private final Preconditioning preconditioning;
  private final Grafting grafting;
  private final Map<String, ParameterState> waiting = new HashMap<>();
  // Per device (replicas flush one device at a time): the last plan and its index arrays there.
  private final Map<Device, Cached> plans = new HashMap<>();

  private record Cached(DirectionPlan plan, StepKernels.PlanIndices indices, NDManager owner) {}

  DirectionBatch(Preconditioning preconditioning, Grafting grafting) {
    this.preconditioning = preconditioning;
    this.grafting = grafting;
  }

  /**
   * Marks the update of {@code key}, about to enter the base batch with its gradient, as one whose
   * direction {@link #resolve} computes from {@code state}'s roots.
   */
  void defer(String key, ParameterState state) {
    waiting.put(key, state);
  }

  /** Drops a mark (the update did not enter the batch). */
  void cancel(String key) {
    waiting.remove(key);
  }

  /**
   * {@code updates} with the gradient of every deferred update replaced by its direction (a new
   * array in {@code manager}, which the caller closes after applying them); the others as they
   * are. All updates live on one device (the base batch flushes per device).
   */
  List<BaseStepBatch.Pending> resolve(List<BaseStepBatch.Pending> updates, NDManager manager) {
    List<Integer> at = new ArrayList<>();
    List<ParameterState> states = new ArrayList<>();
    List<NDArray> grads = new ArrayList<>();
    List<NDArray> weights = new ArrayList<>();
    for (int i = 0; i < updates.size(); i++) {
      ParameterState s = waiting.remove(updates.get(i).key());
      if (s != null) {
        at.add(i);
        states.add(s);
        grads.add(updates.get(i).gradient());
        weights.add(updates.get(i).weight());
      }
    }
    if (at.isEmpty()) {
      return updates;
    }
    // A whole step leaves every gradient with its weight; any other step hands every one over.
    boolean own = grads.get(0) == null;
    if (grads.stream().anyMatch(g -> (g == null) != own)) {
      throw new IllegalStateException("a step's deferred directions mix given gradients with"
          + " the weights' own");
    }
    DeviceLinalg.Kernels la = preconditioning.kernels(weights.get(0).getDevice());
    Cached current = planFor(states, manager);
    List<StepRoot> roots = new ArrayList<>(2 * current.plan().blockCount());
    for (int p = 0; p < states.size(); p++) {
      // Any array serves for a block without roots: the call does not read it.
      StepRoot placeholder = new StepRoot.Dense(weights.get(p));
      for (BlockState bs : states.get(p).blocks) {
        roots.add(bs.hasRoot ? bs.left.stepRoot(manager) : placeholder);
        roots.add(bs.hasRoot ? bs.right.stepRoot(manager) : placeholder);
      }
    }
    StepKernels.Gradients given =
        own ? StepKernels.Gradients.ownOf(weights) : StepKernels.Gradients.of(grads);
    List<NDArray> directions = la.step().directions(given, current.plan(), current.indices(),
        roots, grafting, manager);
    List<BaseStepBatch.Pending> out = new ArrayList<>(updates);
    for (int j = 0; j < at.size(); j++) {
      out.set(at.get(j), updates.get(at.get(j)).withGradient(directions.get(j)));
    }
    return out;
  }

  /** The plan of these states, reusing the device's last one when it fits. */
  private Cached planFor(List<ParameterState> states, NDManager manager) {
    List<BlockLayout> layouts = new ArrayList<>(states.size());
    List<boolean[]> flags = new ArrayList<>(states.size());
    for (ParameterState s : states) {
      layouts.add(s.layout);
      boolean[] f = new boolean[s.blocks.size()];
      for (BlockState bs : s.blocks) {
        f[bs.block.index()] = bs.hasRoot;
      }
      flags.add(f);
    }
    Device device = manager.getDevice();
    Cached cached = plans.get(device);
    if (cached != null && cached.plan().matches(layouts, flags)) {
      return cached;
    }
    if (cached != null) {
      cached.owner().close();
    }
    DirectionPlan plan = new DirectionPlan(layouts, flags);
    NDManager owner = manager.getEngine().newBaseManager(device);
    cached = new Cached(plan, StepKernels.PlanIndices.of(plan, owner), owner);
    plans.put(device, cached);
    return cached;
  }

  /** Forgets the marks and frees the cached indices. */
  @Override
  public void close() {
    waiting.clear();
    plans.values().forEach(c -> c.owner().close());
    plans.clear();
  }
}
