package org.shampoo4j.shampoo.base;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Collects the base-optimizer updates of one training step so that they run as one fused call.
 * DJL hands an optimizer one parameter at a time; this learns the step's order of update keys on
 * the first step (whose updates run per parameter), then buffers each step's updates in that order
 * and hands them to the flush action when the step's last key arrives (one call per device
 * holding weights of the step).
 *
 * <p>Use: at the start of each update call {@link #admit} with its key, before anything reads or
 * changes the optimizer's checks or state. An update out of the learned order (an unexpected key,
 * or a key coming again) flushes what is buffered first, and is then refused (the caller updates
 * it per parameter) unless it is the first of a new step. An admitted update is then handed over
 * with {@link #add}. {@link #flush} empties the buffer on request (before reading state). So no
 * update is lost, reordered against another of its parameter, or applied later than the end of
 * the {@code trainer.step()} that made it.
 *
 * <p>Each buffered gradient is held through an array of its own (DJL closes the array it passes
 * to {@code update} as soon as the call returns): a view on a GPU, a copy on the CPU (where an
 * array made from Java memory does not own its storage), freed when the batch is flushed. Not
 * thread-safe: DJL's parameter server calls an optimizer from one thread.
 */
public final class BaseStepBatch implements AutoCloseable {
  /**
   * One update waiting in the batch.
   *
   * @param parameterId the parameter's name
   * @param key the update key (parameter and device)
   * @param weight the weight, updated in place on flush
   * @param gradient the gradient or direction (an array owned by the batch until the flush), or
   *     null for the weight's own gradient, read by the fused call itself (see {@link
   *     BaseOptimizerAdapter#updateFromGradients} and Shampoo's whole steps)
   * @param learningRate its learning rate
   * @param step its 1-based step
   * @param gate the gate its writes go through, or null when the fused call checks the gradient
   *     itself ({@link NonFinitePolicy#GUARDED} in {@link BaseOptimizerAdapter})
   * @param undo host-side changes of the update to undo if its gate rejects it (run last first);
   *     the fused rule adds the removal of state it creates
   */
  public record Pending(String parameterId, String key, NDArray weight, NDArray gradient,
      float learningRate, int step, UpdateGate gate, List<Runnable> undo) {
    /** This update applying {@code direction} instead of its gradient (same undo list). */
    public Pending withGradient(NDArray direction) {
      return new Pending(parameterId, key, weight, direction, learningRate, step, gate, undo);
    }

    /** This update through {@code newGate} (same undo list). */
    public Pending withGate(UpdateGate newGate) {
      return new Pending(parameterId, key, weight, gradient, learningRate, step, newGate, undo);
    }
  }

  private final Consumer<List<Pending>> flushAction;
  private final List<String> firstStep = new ArrayList<>();
  private final Set<String> firstStepKeys = new HashSet<>();
  private List<String> order;
  // Given by expect(): the keys of a step whose order is still to be seen, and those seen so far.
  private Set<String> givenKeys;
  private final List<String> arrived = new ArrayList<>();
  private final List<Pending> pending = new ArrayList<>();
  private NDManager holder;

  /**
   * A batch that hands each complete (or early-flushed) step to {@code flushAction}, which must
   * apply every update it is given; the batch frees the held gradients afterwards.
   */
  public BaseStepBatch(Consumer<List<Pending>> flushAction) {
    this.flushAction = Objects.requireNonNull(flushAction, "flushAction");
  }

  /**
   * Starts the update of {@code key}: returns true if it goes into the batch ({@link #add} must
   * follow), false if the caller must apply it now, per parameter (during the first step, which
   * learns the order, and for an update out of the learned order, after the buffered ones have
   * been flushed).
   */
  public boolean admit(String key) {
    Objects.requireNonNull(key, "key");
    if (givenKeys != null) {
      return admitGiven(key);
    }
    if (order == null) {
      if (firstStepKeys.add(key)) {
        firstStep.add(key);
        return false;
      }
      order = List.copyOf(firstStep);
      firstStep.clear();
      firstStepKeys.clear();
    }
    if (key.equals(expected())) {
      return true;
    }
    flush();
    return key.equals(order.get(0));
  }

  /** admit() while the step's keys are given but their order is not known yet. */
  private boolean admitGiven(String key) {
    if (givenKeys.contains(key) && !arrived.contains(key)) {
      arrived.add(key);
      return true;
    }
    flush();
    if (givenKeys.contains(key)) {
      // A key again: the step ended early (a parameter without gradient); this one starts anew.
      arrived.clear();
      arrived.add(key);
      return true;
    }
    // A key not given: learn the order from this update on, per parameter.
    givenKeys = null;
    arrived.clear();
    firstStepKeys.add(key);
    firstStep.add(key);
    return false;
  }

  /**
   * Takes {@code keys} as the updates of every step, in an order still to be seen, so that the
   * next step is batched at once instead of running per parameter while the batch learns the
   * order: after a checkpoint is loaded, the first step of the resumed run then runs as it did in
   * the run that wrote the checkpoint. The step completes when each key has arrived once; its
   * order of arrival is the order from then on. Buffered updates are applied first. A key not
   * given makes the batch learn the order afresh from that update on (per parameter), so a wrong
   * guess costs speed, never an update.
   *
   * @throws IllegalArgumentException if {@code keys} is empty or holds a key twice
   */
  public void expect(List<String> keys) {
    Set<String> distinct = new HashSet<>(keys);
    if (keys.isEmpty() || distinct.size() != keys.size()) {
      throw new IllegalArgumentException("a step's update keys must be distinct and at least"
          + " one, got " + keys);
    }
    flush();
    givenKeys = distinct;
    arrived.clear();
    order = null;
    firstStep.clear();
    firstStepKeys.clear();
  }

  private String expected() {
    if (givenKeys != null) {
      return arrived.size() == pending.size() + 1 ? arrived.get(pending.size()) : null;
    }
    return pending.size() < order.size() ? order.get(pending.size()) : null;
  }

  /**
   * Buffers an update admitted by {@link #admit} (its key must be the expected one); flushes when
   * it completes the step. The batch keeps its own array of {@code gradient}.
   *
   * @throws IllegalStateException if the key was not admitted as the next one
   */
  public void add(String parameterId, String key, NDArray weight, NDArray gradient,
      float learningRate, int step, UpdateGate gate, List<Runnable> undo) {
    if ((order == null && givenKeys == null) || !key.equals(expected())) {
      throw new IllegalStateException("update '" + key + "' was not admitted as the batch's next"
          + " update (expected " + (order == null ? "none while learning" : expected()) + ")");
    }
    if (holder == null) {
      holder = weight.getManager().newSubManager();
    }
    // On a GPU a view of the same storage: no copy, and alive after DJL closes its array. On the
    // CPU an array made from Java memory does not own its storage (freed with the array), so
    // the batch keeps a copy there.
    NDArray held = gradient.getDevice().isGpu() ? gradient.stopGradient() : gradient.duplicate();
    held.attach(holder);
    pending.add(new Pending(parameterId, key, weight, held, learningRate, step, gate,
        new ArrayList<>(undo)));
    if (givenKeys != null && pending.size() == givenKeys.size()) {
      // Every given key arrived: their order is the step's order from now on.
      order = List.copyOf(arrived);
      givenKeys = null;
      arrived.clear();
    }
    if (order != null && pending.size() == order.size()) {
      flush();
    }
  }

  /** Whether the step's order of update keys is known (after the first step). */
  public boolean learned() {
    return order != null || givenKeys != null;
  }

  /** Applies the buffered updates now (nothing if none is buffered). */
  public void flush() {
    if (pending.isEmpty()) {
      return;
    }
    // One fused call per device (replicas' updates are independent: each has its own key).
    Map<Device, List<Pending>> byDevice = new LinkedHashMap<>();
    for (Pending p : pending) {
      byDevice.computeIfAbsent(p.weight().getDevice(), d -> new ArrayList<>()).add(p);
    }
    pending.clear();
    NDManager h = holder;
    holder = null;
    try {
      for (List<Pending> updates : byDevice.values()) {
        flushAction.accept(List.copyOf(updates));
      }
    } finally {
      h.close();
    }
  }

  /** How many updates are buffered. */
  public int size() {
    return pending.size();
  }

  /** Frees the buffered gradients without applying them (a closed optimizer applies nothing). */
  @Override
  public void close() {
    pending.clear();
    if (holder != null) {
      holder.close();
      holder = null;
    }
  }
}
