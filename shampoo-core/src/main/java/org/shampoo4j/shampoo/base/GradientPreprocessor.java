package org.shampoo4j.shampoo.base;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every optimizer of this project does to a raw gradient before its own rule, so that
 * Shampoo and a plain base optimizer treat gradients identically: DJL's {@code rescaleGrad}
 * (multiply), DJL's {@code clipGrad} (element-wise clip to [−c, c] when c > 0), then the
 * non-finite policy. Immutable apart from the skip counter and, under {@link
 * NonFinitePolicy#DEFERRED_THROW} and {@link NonFinitePolicy#GUARDED}, the checks not read yet
 * (held on the device until read; {@link #close()} frees them).
 */
public final class GradientPreprocessor implements AutoCloseable {
  private final float rescale;
  private final float clip;
  private final NonFinitePolicy policy;
  private final AtomicLong skipped = new AtomicLong();
  // DEFERRED_THROW: per parameter, max|g| of its last gradient, on its device, not read yet.
  private final Map<String, Pending> pending = new LinkedHashMap<>();
  private final Map<Device, NDManager> pendingManagers = new LinkedHashMap<>();
  // GUARDED: per update key, the gate of its last update, its flag not read yet.
  private final Map<String, Guard> guards = new LinkedHashMap<>();
  // GUARDED: fused updates' checks not read yet, and their keys.
  private final List<GuardBatch> batches = new ArrayList<>();
  private final java.util.Set<String> batchKeys = new java.util.HashSet<>();
  // GUARDED on DJL's PyTorch engine: the scripted check (one native call instead of five).
  private BaseStepKernels checkKernels;
  private NDManager checkManager;

  /**
   * A prepared gradient and the gate its update's writes go through.
   *
   * @param gradient the rescaled and clipped gradient (not sanitised: apply {@link
   *     UpdateGate#sanitize} where non-finite values could misbehave)
   * @param gate {@link UpdateGate#open()} unless the policy is {@link NonFinitePolicy#GUARDED}
   */
  public record Prepared(NDArray gradient, UpdateGate gate) {}

  /**
   * A preprocessor.
   *
   * @param rescale gradient multiplier (DJL {@code rescaleGrad}), finite and non-zero
   * @param clip clip bound; a value {@code <= 0} turns clipping off (DJL {@code clipGrad})
   * @param policy what to do with non-finite gradients
   */
  public GradientPreprocessor(float rescale, float clip, NonFinitePolicy policy) {
    if (!Float.isFinite(rescale) || rescale == 0f) {
      throw new IllegalArgumentException("rescaleGrad must be finite and non-zero, got " + rescale);
    }
    if (Float.isNaN(clip)) {
      throw new IllegalArgumentException("clipGrad must not be NaN (use a value <= 0 for off)");
    }
    this.rescale = rescale;
    this.clip = clip;
    this.policy = java.util.Objects.requireNonNull(policy, "policy");
  }

  /**
   * The prepared gradient, or empty when the policy is {@link NonFinitePolicy#SKIP} and the
   * gradient is not finite or exceeds {@link #overflowBound}. New arrays are created in {@code
   * grad}'s manager (callers attach {@code grad} to a scratch manager first).
   *
   * @throws IllegalStateException under {@link NonFinitePolicy#THROW} for a non-finite gradient
   *     or one above {@link #overflowBound}, naming the parameter; under {@link
   *     NonFinitePolicy#DEFERRED_THROW} when this parameter's previous step (or another
   *     parameter's check not read yet) found one ({@link #checkDeferred}); always under {@link
   *     NonFinitePolicy#GUARDED}, whose updates need the gate of {@link #prepareStep}
   */
  public Optional<NDArray> prepare(String parameterId, NDArray grad) {
    if (policy == NonFinitePolicy.GUARDED) {
      throw new IllegalStateException("under NonFinitePolicy.GUARDED use prepareStep, which"
          + " returns the gate the update must go through");
    }
    return prepareUngated(parameterId, grad);
  }

  /**
   * The prepared gradient with the gate of its update, or empty as {@link #prepare} (SKIP). Under
   * {@link NonFinitePolicy#GUARDED} no host read happens here: the check becomes the gate's
   * device flag, read with the other checks of the step when {@code updateKey} comes again (the
   * next step) or on {@link #checkDeferred}; under every other policy the gate is open and this
   * equals {@link #prepare}.
   *
   * @param parameterId the parameter's name, for messages
   * @param updateKey identifies one update per step (the parameter, and its device where each
   *     device updates its own copy); a key seen again starts a new step
   * @throws IllegalStateException as {@link #prepare}; under GUARDED when the previous step's
   *     checks found a bad gradient (after rolling back those parameters' host-side bookkeeping)
   */
  public Optional<Prepared> prepareStep(String parameterId, String updateKey, NDArray grad) {
    if (policy != NonFinitePolicy.GUARDED) {
      return prepareUngated(parameterId, grad).map(g -> new Prepared(g, UpdateGate.open()));
    }
    NDArray g = rescaleAndClip(grad);
    return Optional.of(new Prepared(g, guard(parameterId, updateKey, g)));
  }

  private NDArray rescaleAndClip(NDArray grad) {
    NDArray g = grad;
    if (rescale != 1f) {
      g = g.mul(DeviceScalars.of(g, rescale));
    }
    if (clip > 0f) {
      g = g.clip(-clip, clip);
    }
    return g;
  }

  private Optional<NDArray> prepareUngated(String parameterId, NDArray grad) {
    NDArray g = grad;
    if (rescale != 1f) {
      g = g.mul(DeviceScalars.of(g, rescale));
    }
    if (clip > 0f) {
      g = g.clip(-clip, clip);
    }
    if (policy == NonFinitePolicy.UNCHECKED) {
      return Optional.of(g);
    }
    if (policy == NonFinitePolicy.DEFERRED_THROW) {
      defer(parameterId, g);
      return Optional.of(g);
    }
    // The one host synchronisation of a step: a single float per parameter. max|g| is NaN or
    // infinite exactly when some element is (PyTorch's max propagates NaN).
    float maxAbs = g.abs().max().toType(DataType.FLOAT32, false).getFloat();
    if (maxAbs <= overflowBound(g.size())) {
      return Optional.of(g);
    }
    if (policy == NonFinitePolicy.SKIP) {
      skipped.incrementAndGet();
      return Optional.empty();
    }
    throw new IllegalStateException(Float.isFinite(maxAbs)
        ? describeOverflow(parameterId, g, maxAbs)
        : describeNonFinite(parameterId, g));
  }

  /**
   * Reads every check {@link NonFinitePolicy#DEFERRED_THROW} or {@link NonFinitePolicy#GUARDED}
   * has not read yet, one transfer per device, and forgets them. Called by {@link #prepare} and
   * {@link #prepareStep} when a parameter's next gradient arrives (so once per training step), and
   * by optimizers on request. Under GUARDED the rejected updates are rolled back ({@link
   * UpdateGate#onRejected}) before the exception.
   *
   * @throws IllegalStateException naming every parameter whose gradient was non-finite or above
   *     {@link #overflowBound}
   */
  public synchronized void checkDeferred() {
    checkGuards();
    if (pending.isEmpty()) {
      return;
    }
    Map<Device, List<Map.Entry<String, Pending>>> byDevice = new LinkedHashMap<>();
    for (Map.Entry<String, Pending> e : pending.entrySet()) {
      byDevice.computeIfAbsent(e.getValue().maxAbs().getDevice(), d -> new ArrayList<>()).add(e);
    }
    List<String> bad = new ArrayList<>();
    try {
      for (List<Map.Entry<String, Pending>> entries : byDevice.values()) {
        NDList values = new NDList(entries.size());
        for (Map.Entry<String, Pending> e : entries) {
          values.add(e.getValue().maxAbs());
        }
        float[] maxAbs;
        try (NDArray stacked = NDArrays.stack(values)) {
          maxAbs = stacked.toFloatArray();
        }
        for (int i = 0; i < maxAbs.length; i++) {
          if (!(maxAbs[i] <= entries.get(i).getValue().bound())) {
            bad.add("'" + entries.get(i).getKey() + "' (max |g| = " + maxAbs[i] + ")");
          }
        }
      }
    } finally {
      pending.values().forEach(p -> p.maxAbs().close());
      pending.clear();
    }
    if (!bad.isEmpty()) {
      throw new IllegalStateException("non-finite (or float32-overflowing) gradient for parameter "
          + String.join(", ", bad) + " in an earlier step: under NonFinitePolicy.DEFERRED_THROW"
          + " the check is read once per step, so these values have already entered the"
          + " weights and the optimizer state");
    }
  }

  /** Frees the checks not read yet (without reading them) and the scripted check. */
  @Override
  public synchronized void close() {
    if (checkKernels != null) {
      checkKernels.close();
      checkManager.close();
      checkKernels = null;
    }
    pending.values().forEach(p -> p.maxAbs().close());
    pending.clear();
    guards.values().forEach(Guard::close);
    guards.clear();
    batches.forEach(b -> b.checks().close());
    batches.clear();
    batchKeys.clear();
    pendingManagers.values().forEach(NDManager::close);
    pendingManagers.clear();
  }

  /**
   * Keeps max|g| on the device; a parameter seen again means a new step began, so the previous
   * step's checks are read first.
   */
  private synchronized void defer(String parameterId, NDArray g) {
    if (pending.containsKey(parameterId)) {
      checkDeferred();
    }
    NDArray maxAbs = g.abs().max().toType(DataType.FLOAT32, false);
    NDManager owner = pendingManagers.computeIfAbsent(g.getDevice(),
        d -> g.getManager().getEngine().newBaseManager(d));
    maxAbs.attach(owner);
    pending.put(parameterId, new Pending(maxAbs, overflowBound(g.size())));
  }

  private record Pending(NDArray maxAbs, double bound) {}

  /**
   * GUARDED: computes the gate of one update on the device (no read); a key seen again means a
   * new step began, so the previous step's gates are read first.
   */
  private synchronized UpdateGate guard(String parameterId, String updateKey, NDArray g) {
    if (guards.containsKey(updateKey) || batchKeys.contains(updateKey)) {
      checkGuards();
    }
    NDManager owner = pendingManagers.computeIfAbsent(g.getDevice(),
        d -> g.getManager().getEngine().newBaseManager(d));
    NDArray[] check = check(g, (float) overflowBound(g.size()));
    NDArray ok = check[0];
    NDArray pair = check[1];
    pair.attach(owner);
    ok.attach(owner);
    UpdateGate gate = UpdateGate.of(ok);
    guards.put(updateKey, new Guard(parameterId, g.getShape().toString(), pair, gate));
    return gate;
  }

  /**
   * Whether max |g| is within {@code bound}, and {@code [max |g|, that flag as 0/1]} as float32
   * (what the host reads later), on the device. NaN compares false, so a NaN anywhere gives ok =
   * false; the bound is rounded to float32 on the device and the host decides from the flag it
   * reads, never from its own comparison. On DJL's PyTorch engine one scripted call ({@link
   * BaseStepKernels#check}), else a few operations.
   */
  private NDArray[] check(NDArray g, float bound) {
    if (g instanceof ai.djl.pytorch.engine.PtNDArray) {
      return kernels(g).check(g, bound);
    }
    try (NDArray maxAbs = g.abs().max().toType(DataType.FLOAT32, false)) {
      NDArray ok = maxAbs.lte(DeviceScalars.of(maxAbs, bound));
      try (NDArray flag = ok.toType(DataType.FLOAT32, false)) {
        return new NDArray[] {ok, NDArrays.stack(new NDList(maxAbs, flag))};
      }
    }
  }

  /** The scripted checks, loaded on first use. */
  private BaseStepKernels kernels(NDArray g) {
    if (checkKernels == null) {
      checkManager = g.getManager().getEngine().newBaseManager();
      checkKernels = new BaseStepKernels(checkManager);
    }
    return checkKernels;
  }

  /**
   * GUARDED: starts the update of {@code updateKey} without computing its check here (a fused
   * update computes it and hands it to {@link #guardBatch}): a key whose check is not read yet
   * means a new step began, so the previous step's checks are read first, as {@link #prepareStep}
   * does. Nothing under every other policy.
   *
   * @throws IllegalStateException when the previous step's checks found a bad gradient (after
   *     rolling back those parameters' host-side bookkeeping)
   */
  public synchronized void beginUpdate(String updateKey) {
    if (policy == NonFinitePolicy.GUARDED
        && (guards.containsKey(updateKey) || batchKeys.contains(updateKey))) {
      checkGuards();
    }
  }

  /**
   * Whether an update of {@code updateKey} has a check not read yet (so that its next update will
   * read the step's checks first): a caller that buffers updates applies them before that read.
   */
  public synchronized boolean hasPendingCheck(String updateKey) {
    return guards.containsKey(updateKey) || batchKeys.contains(updateKey)
        || pending.containsKey(updateKey);
  }

  /** Whether preparing changes a gradient (DJL's rescaleGrad is not 1, or clipGrad is set). */
  public boolean changesGradients() {
    return rescale != 1f || clip > 0f;
  }

  /**
   * Whether {@link #prepareUnchecked} may be used: under {@link NonFinitePolicy#GUARDED}, whose
   * checks a caller may compute for many updates at once ({@link #guardAll}).
   */
  public boolean checksLater() {
    return policy == NonFinitePolicy.GUARDED;
  }

  /**
   * GUARDED: the prepared gradient (rescaled, clipped) of an update whose check comes later, for
   * many updates in one call ({@link #guardAll}); reads the previous step's checks first when
   * {@code updateKey} starts a new step, as {@link #prepareStep} does.
   *
   * @throws IllegalStateException under another policy, or when the previous step's checks
   *     found a bad gradient (after rolling back those parameters' host-side bookkeeping)
   */
  public NDArray prepareUnchecked(String updateKey, NDArray grad) {
    if (!checksLater()) {
      throw new IllegalStateException("only NonFinitePolicy.GUARDED checks later, not " + policy);
    }
    beginUpdate(updateKey);
    return rescaleAndClip(grad);
  }

  /**
   * GUARDED: checks the prepared gradients of updates started with {@link #prepareUnchecked}, in
   * one call on DJL's PyTorch engine, keeps the checks to be read with the step's other checks
   * ({@link #guardBatch}: a failed entry's undo runs then) and returns each update's gate, whose
   * flag lives in {@code flagManager}.
   *
   * @param weights the updates' weights
   * @param grads per weight its prepared gradient, or null for the weight's own (read inside the
   *     call, without a handle per parameter)
   * @throws IllegalArgumentException if the lists differ in length
   */
  public List<UpdateGate> guardAll(List<BatchEntry> entries, List<NDArray> weights,
      List<NDArray> grads, NDManager flagManager) {
    if (entries.size() != grads.size() || weights.size() != grads.size()) {
      throw new IllegalArgumentException(entries.size() + " entries, " + weights.size()
          + " weights but " + grads.size() + " gradients");
    }
    List<UpdateGate> gates = new ArrayList<>(grads.size());
    double[] bounds = overflowBounds(weights);
    NDArray checks;
    if (weights.get(0) instanceof ai.djl.pytorch.engine.PtNDArray) {
      BaseStepKernels.Checks c =
          kernels(weights.get(0)).checks(weights, grads, bounds, flagManager);
      c.flags().forEach(flag -> gates.add(UpdateGate.of(flag)));
      checks = c.checks();
    } else {
      List<NDArray> pairs = new ArrayList<>(grads.size());
      for (int i = 0; i < bounds.length; i++) {
        NDArray g = grads.get(i);
        NDArray[] check;
        if (g != null) {
          check = check(g, (float) bounds[i]);
        } else {
          try (NDArray own = weights.get(i).getGradient()) {
            check = check(own, (float) bounds[i]);
          }
        }
        check[0].attach(flagManager);
        gates.add(UpdateGate.of(check[0]));
        pairs.add(check[1]);
      }
      try (NDArray stacked = NDArrays.stack(new NDList(pairs.toArray(new NDArray[0])))) {
        checks = stacked.transpose().duplicate();
      } finally {
        pairs.forEach(NDArray::close);
      }
    }
    guardBatch(entries, checks);
    return gates;
  }

  /**
   * One parameter of a fused update's checks.
   *
   * @param parameterId the parameter's name, for messages
   * @param updateKey its update key
   * @param shape its shape, for messages
   * @param undo host-side changes of its update to undo if its check fails (run last first)
   */
  public record BatchEntry(String parameterId, String updateKey, String shape,
      List<Runnable> undo) {}

  /**
   * GUARDED: keeps the checks of a fused update ({@code [2, n]} float32 on the device: max |g| of
   * each entry, then its ok flag as 0/1; the weights and state writes already selected by the
   * flags on the device), to be read with the step's other checks. Takes ownership of {@code
   * checks}.
   *
   * @throws IllegalArgumentException if {@code checks} does not have one column per entry
   */
  public synchronized void guardBatch(List<BatchEntry> entries, NDArray checks) {
    if (checks.getShape().dimension() != 2 || checks.getShape().get(0) != 2
        || checks.getShape().get(1) != entries.size()) {
      checks.close();
      throw new IllegalArgumentException("checks of " + entries.size() + " parameters must have"
          + " shape (2, " + entries.size() + "), got " + checks.getShape());
    }
    NDManager owner = pendingManagers.computeIfAbsent(checks.getDevice(),
        d -> checks.getManager().getEngine().newBaseManager(d));
    checks.attach(owner);
    GuardBatch batch = new GuardBatch(List.copyOf(entries), checks);
    batches.add(batch);
    for (BatchEntry e : entries) {
      batchKeys.add(e.updateKey());
    }
  }

  private record GuardBatch(List<BatchEntry> entries, NDArray checks) {}

  /**
   * Reads the gates not read yet, with their max |g|, in one transfer per device; rolls back the
   * host-side bookkeeping of every rejected update and throws naming them.
   */
  private void checkGuards() {
    if (guards.isEmpty() && batches.isEmpty()) {
      return;
    }
    Map<Device, List<Guard>> byDevice = new LinkedHashMap<>();
    for (Guard guard : guards.values()) {
      byDevice.computeIfAbsent(guard.pair().getDevice(), d -> new ArrayList<>()).add(guard);
    }
    Map<Device, List<GuardBatch>> batchesByDevice = new LinkedHashMap<>();
    for (GuardBatch batch : batches) {
      byDevice.computeIfAbsent(batch.checks().getDevice(), d -> new ArrayList<>());
      batchesByDevice.computeIfAbsent(batch.checks().getDevice(), d -> new ArrayList<>())
          .add(batch);
    }
    List<Runnable> rollBacks = new ArrayList<>();
    List<String> bad = new ArrayList<>();
    try {
      for (Map.Entry<Device, List<Guard>> device : byDevice.entrySet()) {
        List<Guard> list = device.getValue();
        List<GuardBatch> deviceBatches = batchesByDevice.getOrDefault(device.getKey(), List.of());
        // Per guard [max|g|, ok as 0/1], then per batch [max|g| of each, then ok of each]: one
        // float array, one read.
        List<NDArray> temporaries = new ArrayList<>();
        NDList parts = new NDList();
        float[] read;
        try {
          if (!list.isEmpty()) {
            NDList values = new NDList(list.size());
            for (Guard guard : list) {
              values.add(guard.pair());
            }
            NDArray pairs = NDArrays.stack(values);
            temporaries.add(pairs);
            NDArray stacked = pairs.flatten();
            temporaries.add(stacked);
            parts.add(stacked);
          }
          for (GuardBatch batch : deviceBatches) {
            parts.add(batch.checks());
          }
          if (parts.size() == 1) {
            read = parts.get(0).toFloatArray();
          } else {
            NDList flat = new NDList(parts.size());
            for (NDArray part : parts) {
              NDArray f = part.flatten();
              temporaries.add(f);
              flat.add(f);
            }
            try (NDArray all = NDArrays.concat(flat)) {
              read = all.toFloatArray();
            }
          }
        } finally {
          temporaries.forEach(NDArray::close);
        }
        int offset = 0;
        for (int i = 0; i < list.size(); i++) {
          if (read[2 * i + 1] == 0f) {
            Guard guard = list.get(i);
            rollBacks.add(guard.gate()::rollBack);
            bad.add("'" + guard.parameterId() + "' of shape " + guard.shape() + " (max |g| = "
                + read[2 * i] + ")");
          }
        }
        offset += 2 * list.size();
        for (GuardBatch batch : deviceBatches) {
          int n = batch.entries().size();
          for (int i = 0; i < n; i++) {
            if (read[offset + n + i] == 0f) {
              BatchEntry e = batch.entries().get(i);
              List<Runnable> undo = e.undo();
              rollBacks.add(() -> {
                for (int j = undo.size() - 1; j >= 0; j--) {
                  undo.get(j).run();
                }
              });
              bad.add("'" + e.parameterId() + "' of shape " + e.shape() + " (max |g| = "
                  + read[offset + i] + ")");
            }
          }
          offset += 2 * n;
        }
      }
    } finally {
      // A failed read leaves the updates as they landed; forget the checks either way.
      List<Guard> all = new ArrayList<>(guards.values());
      guards.clear();
      List<GuardBatch> allBatches = new ArrayList<>(batches);
      batches.clear();
      batchKeys.clear();
      if (!bad.isEmpty()) {
        rollBacks.forEach(Runnable::run);
      }
      all.forEach(Guard::close);
      allBatches.forEach(b -> b.checks().close());
    }
    if (!bad.isEmpty()) {
      throw new IllegalStateException("non-finite (or float32-overflowing) gradient for parameter "
          + String.join(", ", bad) + " in the last step: under NonFinitePolicy.GUARDED these"
          + " parameters' weights and optimizer state were left exactly as before that step");
    }
  }

  private record Guard(String parameterId, String shape, NDArray pair, UpdateGate gate) {
    void close() {
      pair.close();
      gate.flag().close();
    }
  }

  /**
   * The largest |g| a gradient of {@code size} elements may hold: above {@code
   * sqrt(Float.MAX_VALUE / size)} its sum of squares (the Frobenius norm grafting uses, the
   * diagonal of Shampoo's {@code G·Gᵀ}, Adam's second moment summed) may overflow float32 to
   * infinity, so such a gradient is treated like a non-finite one. About 1.8e19 for one element,
   * 1.8e16 for a million.
   */
  public static double overflowBound(long size) {
    return Math.sqrt(Float.MAX_VALUE / (double) Math.max(size, 1));
  }
  /**
   * {@link #overflowBound} of each array's size, as the float32 value the checks compare with
   * (widened to double for the scripted calls).
   */
  public static double[] overflowBounds(List<NDArray> arrays) {
    double[] bounds = new double[arrays.size()];
    for (int i = 0; i < bounds.length; i++) {
      bounds[i] = (float) overflowBound(arrays.get(i).size());
    }
    return bounds;
  }


  private static String describeOverflow(String parameterId, NDArray g, float maxAbs) {
    return String.format(java.util.Locale.ROOT, "gradient for parameter '%s' of shape %s is too "
            + "large: max |g| = %.3g exceeds %.3g, above which its sum of squares overflows float32",
        parameterId, g.getShape(), maxAbs, overflowBound(g.size()));
  }

  /**
   * Zeroes the gradient buffer of {@code weight}, if it has one. DJL's PyTorch engine does not
   * clear gradients between steps: its built-in optimizers zero them inside their fused update
   * kernels, so every other optimizer must do it itself, or gradients accumulate over steps. On
   * PyTorch this calls the engine's {@code zero_()} (which also clears NaN); on other engines it
   * subtracts the gradient from itself, as DJL's {@code GradientCollector.zeroGradients} does.
   */
  public static void clearGradient(NDArray weight) {
    if (!weight.hasGradient()) {
      return;
    }
    if (weight instanceof ai.djl.pytorch.engine.PtNDArray pt) {
      ai.djl.pytorch.jni.JniUtils.zeroGrad(pt);
    } else {
      try (NDArray g = weight.getGradient()) {
        g.subi(g);
      }
    }
  }

  /** How many parameter updates were skipped for a non-finite gradient. */
  public long skippedUpdates() {
    return skipped.get();
  }

  /**
   * Sets the skipped-update count, for a state loaded from a checkpoint.
   *
   * @throws IllegalArgumentException if the count is negative
   */
  public void restoreSkippedUpdates(long count) {
    if (count < 0) {
      throw new IllegalArgumentException("skipped updates must be non-negative, got " + count);
    }
    skipped.set(count);
  }

  /** The configured policy. */
  public NonFinitePolicy policy() {
    return policy;
  }

  // Runs only on the error path, so reading the gradient to the host here is fine.
  private static String describeNonFinite(String parameterId, NDArray g) {
    float[] values = g.toType(DataType.FLOAT32, false).toFloatArray();
    long count = 0;
    int first = -1;
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        count++;
        if (first < 0) {
          first = i;
        }
      }
    }
    return "non-finite gradient for parameter '" + parameterId + "' of shape " + g.getShape()
        + ": " + count + " of " + values.length + " elements are NaN or infinite, the first at flat"
        + " index " + first + " (" + values[first] + ")";
  }
}
