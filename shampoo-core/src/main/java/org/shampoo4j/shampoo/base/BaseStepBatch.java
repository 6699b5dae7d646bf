package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Collects the per-parameter updates of one training step so that they run as one fused call.
 * DJL hands an optimizer one parameter at a time; this learns the step's parameter order on the
 * first step (whose updates run per parameter), then buffers each step's updates in that order
 * and hands them to the flush action when the step's last parameter arrives. An update out of
 * that order (an unexpected key, or a key coming again) flushes what is buffered first and is
 * then refused ({@link #offer} returns false: the caller updates it per parameter), unless it is
 * the first of a new step; {@link #flush} empties the buffer on request (before reading state).
 * So no update is lost, reordered against another of its parameter, or applied later than the
 * end of the {@code trainer.step()} that made it.
 *
 * <p>Each buffered gradient is held through an array of its own (DJL closes the array it passes
 * to {@code update} as soon as the call returns): a view on a GPU, a copy on the CPU (where an
 * array made from Java memory does not own its storage), freed when the batch is flushed. Not thread-safe:
 * DJL's parameter server calls an optimizer from one thread.
 */
public final class BaseStepBatch implements AutoCloseable {
  /**
   * One update waiting in the batch.
   *
   * @param parameterId the parameter's name
   * @param key the update key (parameter and device)
   * @param weight the weight, updated in place on flush
   * @param gradient the gradient (a view owned by the batch until the flush)
   */
  public record Pending(String parameterId, String key, NDArray weight, NDArray gradient) {}

  /**
   * An update as the fused rule runs it.
   *
   * @param pending the buffered update
   * @param learningRate its learning rate
   * @param step its 1-based step
   * @param undo host-side changes to undo if its gradient check fails
   */
  record Ready(Pending pending, float learningRate, int step, List<Runnable> undo) {}

  private final Consumer<List<Pending>> flushAction;
  private final List<String> firstStep = new ArrayList<>();
  private final Set<String> firstStepKeys = new HashSet<>();
  private List<String> order;
  private final List<Pending> pending = new ArrayList<>();
  private NDManager holder;

  /**
   * A batch that hands each complete (or early-flushed) step to {@code flushAction}, which must
   * apply every update it is given; the batch frees the gradient views afterwards.
   */
  public BaseStepBatch(Consumer<List<Pending>> flushAction) {
    this.flushAction = Objects.requireNonNull(flushAction, "flushAction");
  }

  /** Whether the step's parameter order is known (after the first step). */
  public boolean learned() {
    return order != null;
  }

  /**
   * Offers one update. Returns true if the batch took it (it is applied at the latest when the
   * step's last parameter arrives or on {@link #flush}); false if the caller must apply it now,
   * per parameter (during the first step, and for an update out of the learned order, after the
   * buffered ones have been flushed).
   */
  public boolean offer(String parameterId, String key, NDArray weight, NDArray gradient) {
    if (order == null) {
      if (firstStepKeys.add(key)) {
        firstStep.add(key);
        return false;
      }
      order = List.copyOf(firstStep);
      firstStep.clear();
      firstStepKeys.clear();
    }
    String expected = pending.size() < order.size() ? order.get(pending.size()) : null;
    if (!key.equals(expected)) {
      flush();
      if (!key.equals(order.get(0))) {
        return false;
      }
    }
    if (holder == null) {
      holder = weight.getManager().newSubManager();
    }
    // On a GPU a view of the same storage: no copy, and alive after DJL closes its array. On the
    // CPU an array made from Java memory does not own its storage (freed with the array), so
    // the batch keeps a copy there.
    NDArray view = gradient.getDevice().isGpu() ? gradient.stopGradient() : gradient.duplicate();
    view.attach(holder);
    pending.add(new Pending(parameterId, key, weight, view));
    if (pending.size() == order.size()) {
      flush();
    }
    return true;
  }

  /** Applies the buffered updates now (nothing if none is buffered). */
  public void flush() {
    if (pending.isEmpty()) {
      return;
    }
    List<Pending> updates = List.copyOf(pending);
    pending.clear();
    NDManager h = holder;
    holder = null;
    try {
      flushAction.accept(updates);
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
