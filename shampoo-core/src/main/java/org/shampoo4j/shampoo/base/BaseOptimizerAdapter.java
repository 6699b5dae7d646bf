package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.shampoo4j.shampoo.memory.DeviceMemory;
import org.shampoo4j.shampoo.state.CheckpointFile;
import org.shampoo4j.shampoo.state.CheckpointableOptimizer;
import org.shampoo4j.shampoo.state.Fingerprint;
import org.shampoo4j.shampoo.state.InvalidCheckpointException;
import org.shampoo4j.shampoo.state.LearningRateRecord;
import org.shampoo4j.shampoo.state.ParameterSet;
import org.shampoo4j.shampoo.state.Setting;
import org.shampoo4j.shampoo.state.SettingList;
import org.shampoo4j.shampoo.state.StateBinding;
import org.shampoo4j.shampoo.state.StateSnapshot;
import org.shampoo4j.shampoo.training.OwnGradientUpdates;

/**
 * Runs a {@link BaseOptimizer} alone as a DJL {@link Optimizer}, through the same gradient
 * handling ({@link GradientPreprocessor}), step counting and learning-rate tracking as {@code
 * ShampooOptimizer}, so plain SGD-momentum and AdamW baselines share the code of Shampoo runs.
 *
 * <p>Step counting: each parameter copy counts its own applied updates; the first is step 1 and a
 * skipped update (non-finite gradient under {@link NonFinitePolicy#SKIP}) does not count. The
 * learning rate is {@code tracker.getNewValue(parameterId, step)}.
 *
 * <p>After each update (applied, skipped or failed) the weight's gradient buffer is zeroed, as
 * DJL's own PyTorch optimizers do; see {@link GradientPreprocessor#clearGradient}.
 *
 * <p>Fused step ({@link Builder#fusedStep}, on by default for {@link SgdMomentum} and {@link
 * AdamW} under {@link NonFinitePolicy#GUARDED} or {@link NonFinitePolicy#UNCHECKED}): DJL calls
 * {@link #update} once per parameter; from the second step on the adapter buffers a step's
 * updates ({@link BaseStepBatch}) and applies them when the step's last parameter arrives, in one
 * call of a TorchScript module that rescales, clips and checks every gradient, updates every
 * parameter and zeroes the gradients ({@link FusedBaseStep}), bit for bit as the per-parameter
 * path. The GUARDED checks come back as one device array, read when the next step begins (one
 * host read per step, as before). Updates out of the learned order, and {@link #checkGradients},
 * {@link #saveState}, {@link #loadState}, {@link #stateMemory}, {@link #deviceMemory} and {@link
 * #close}, flush what is buffered first, so nothing is lost or applied after the {@code
 * trainer.step()} that made it.
 *
 * <p>Close it (it is {@link AutoCloseable}) to free the base optimizer's state.
 */
public final class BaseOptimizerAdapter extends Optimizer
    implements CheckpointableOptimizer, OwnGradientUpdates, AutoCloseable {
  /** The optimizer kind written into checkpoints. */
  public static final String CHECKPOINT_KIND = "base-optimizer";

  // Checkpoint entry names (see saveState).
  private static final String STEP = "step";
  private static final String BASE = "base";

  /*
   * The builder's settings, described once, checkpointed ones in fingerprint order; the base
   * optimizer enters with its name and its configuration. BaseOptimizerAdapterSettingsTest fails
   * for a builder field missing here.
   */
  private static final SettingList<BaseOptimizerAdapter> SETTINGS = SettingList.of(
      Setting.checkpointed("base", a -> a.base.name()),
      Setting.checkpointed("base.configuration", a -> a.base.configuration()),
      Setting.checkpointed("rescaleGrad", a -> a.rescaleGrad),
      Setting.checkpointed("clipGrad", a -> a.clipGrad),
      Setting.runtime("learningRate", a -> a.learningRate),
      Setting.runtime("nonFinitePolicy", a -> a.policy),
      Setting.runtime("fusedStep", BaseOptimizerAdapter::fused));

  private final BaseOptimizer base;
  private final float rescaleGrad;
  private final float clipGrad;
  private final NonFinitePolicy policy;
  private final ParameterTracker learningRate;
  private final GradientPreprocessor preprocessor;
  private final StateKeys keys = new StateKeys();
  private final DeviceManagers scratchManagers = new DeviceManagers();
  private final Map<String, Integer> steps = new ConcurrentHashMap<>();
  // The fused path (null when off): the step's updates buffered and run as one module call.
  private final BaseStepBatch batch;
  private final FusedBaseStep fusedStep;

  private BaseOptimizerAdapter(Builder b) {
    super(new DjlSettings(b.rescaleGrad, b.clipGrad));
    this.base = Objects.requireNonNull(b.base, "base optimizer must be set");
    this.learningRate = b.learningRate;
    this.rescaleGrad = b.rescaleGrad;
    this.clipGrad = b.clipGrad;
    this.policy = b.nonFinitePolicy;
    this.preprocessor = new GradientPreprocessor(b.rescaleGrad, b.clipGrad, b.nonFinitePolicy);
    boolean fused = b.fusedStep && FusedBaseStep.supports(base)
        && (b.nonFinitePolicy == NonFinitePolicy.GUARDED || b.nonFinitePolicy == NonFinitePolicy.UNCHECKED);
    this.fusedStep = fused ? new FusedBaseStep(base) : null;
    this.batch = fused ? new BaseStepBatch(this::applyBatch) : null;
  }

  /**
   * Whether this adapter runs each step's updates as one fused call ({@link Builder#fusedStep}
   * on, an SGD-momentum or AdamW base, and a policy that needs no host read per parameter:
   * {@link NonFinitePolicy#GUARDED} or {@link NonFinitePolicy#UNCHECKED}).
   */
  public boolean fused() {
    return batch != null;
  }

  /**
   * A builder: learning rate fixed 0.01, no rescale, no clipping, non-finite gradients {@link
   * NonFinitePolicy#GUARDED}.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The wrapped optimizer. */
  public BaseOptimizer baseOptimizer() {
    return base;
  }

  /** How many parameter updates were skipped for non-finite gradients. */
  public long skippedUpdates() {
    return preprocessor.skippedUpdates();
  }

  /**
   * Under {@link NonFinitePolicy#GUARDED} and {@link NonFinitePolicy#DEFERRED_THROW}, reads the
   * gradient checks not read yet (for example after the last step of a run); otherwise does
   * nothing.
   *
   * @throws IllegalStateException naming every parameter whose gradient was non-finite (under
   *     GUARDED after undoing those parameters' updates)
   */
  public void checkGradients() {
    flush();
    preprocessor.checkDeferred();
  }

  @Override
  public void update(String parameterId, NDArray weight, NDArray grad) {
    String key = keys.key(parameterId, weight.getDevice());
    if (batch != null && FusedBaseStep.accepts(weight)) {
      try {
        // Reads the previous step's checks when this key starts a new step (as prepareStep),
        // after applying what is buffered, as the per-parameter path would have.
        if (preprocessor.hasPendingCheck(key)) {
          batch.flush();
        }
        preprocessor.beginUpdate(key);
        if (batch.admit(key)) {
          int step = steps.merge(key, 1, Integer::sum);
          Runnable undoStep = undoStep(key);
          float lr = learningRate.getNewValue(parameterId, step);
          try {
            batch.add(parameterId, key, weight, grad, lr, step, null, List.of(undoStep));
          } catch (RuntimeException e) {
            undoStep.run();
            throw e;
          }
          return;
        }
      } catch (RuntimeException e) {
        GradientPreprocessor.clearGradient(weight);
        throw e;
      }
    }
    updateOne(parameterId, key, weight, grad);
  }

  /**
   * Updates each weight from its own gradient, as {@link #update} of every pair in order with
   * {@code weight.getGradient()} would, bit for bit: on the fused path as one call that reads the
   * gradients itself (no gradient handle per parameter crosses to the host), else per parameter.
   * Anything still buffered is applied first.
   *
   * @throws IllegalArgumentException if the lists differ in length
   * @throws IllegalStateException as {@link #update} (the gradients are then cleared)
   */
  @Override
  public void updateFromGradients(List<String> parameterIds, List<NDArray> weights) {
    OwnGradientUpdates.requirePairs(parameterIds, weights);
    boolean fusedAll = batch != null && !weights.isEmpty();
    for (NDArray w : weights) {
      fusedAll &= FusedBaseStep.accepts(w);
    }
    if (!fusedAll) {
      OwnGradientUpdates.updateEach(this, parameterIds, weights);
      return;
    }
    batch.flush();
    List<BaseStepBatch.Pending> updates = new ArrayList<>(weights.size());
    try {
      for (int i = 0; i < weights.size(); i++) {
        String id = parameterIds.get(i);
        NDArray weight = weights.get(i);
        String key = keys.key(id, weight.getDevice());
        // The first key of a new step reads the previous step's checks (once).
        preprocessor.beginUpdate(key);
        int step = steps.merge(key, 1, Integer::sum);
        List<Runnable> undo = new ArrayList<>(List.of(undoStep(key)));
        updates.add(new BaseStepBatch.Pending(id, key, weight, null,
            learningRate.getNewValue(id, step), step, null, undo));
      }
    } catch (RuntimeException e) {
      for (BaseStepBatch.Pending p : updates) {
        p.undo().get(0).run();
      }
      weights.forEach(GradientPreprocessor::clearGradient);
      throw e;
    }
    applyBatch(updates);
  }

  /** Takes back the step counted for {@code key}: a rejected update (GUARDED) did not happen. */
  private Runnable undoStep(String key) {
    return () -> steps.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
  }

  /**
   * Applies any updates still buffered by the fused path (a step's updates are applied when its
   * last parameter arrives, so this matters only after an incomplete step); nothing otherwise.
   * {@link #checkGradients}, {@link #saveState}, {@link #loadState}, {@link #stateMemory},
   * {@link #deviceMemory} and {@link #close} call it.
   */
  public void flush() {
    if (batch != null) {
      batch.flush();
    }
  }

  /**
   * The bytes of optimizer state kept for one parameter update key, after {@link #flush}: a bare
   * parameter id names its copy on the first device it was updated on ({@link #deviceMemory()}
   * counts every copy).
   */
  public org.shampoo4j.quant.MemoryFootprint stateMemory(String parameterId) {
    flush();
    return base.memory(parameterId);
  }

  /**
   * The optimizer state per device that holds it, in first-use order, after {@link #flush}: each
   * device's parameter copies (units) and their base-optimizer bytes. Under DJL's multi-device
   * training each replica keeps its own state, so every device reports its full copy.
   */
  public List<DeviceMemory> deviceMemory() {
    return deviceMemory(id -> true);
  }

  /**
   * As {@link #deviceMemory()}, counting only the copies of the parameters {@code parameterIds}
   * accepts (a device none of whose copies is accepted is left out).
   */
  public List<DeviceMemory> deviceMemory(Predicate<String> parameterIds) {
    Objects.requireNonNull(parameterIds, "parameterIds");
    flush();
    List<StateKeys.Copy> copies = new ArrayList<>();
    for (StateKeys.Copy c : keys.copies()) {
      if (parameterIds.test(c.parameterId())) {
        copies.add(c);
      }
    }
    return DeviceStateTally.perDevice(copies, base::memory);
  }

  /** Runs one fused call for a step's buffered updates (the batch's flush action). */
  private void applyBatch(List<BaseStepBatch.Pending> updates) {
    boolean guarded = policy == NonFinitePolicy.GUARDED;
    List<NDArray> weights = new ArrayList<>(updates.size());
    List<NDArray> grads = new ArrayList<>(updates.size());
    for (BaseStepBatch.Pending p : updates) {
      weights.add(p.weight());
      grads.add(p.gradient()); // null: the call reads the weight's own
    }
    double[] bounds = GradientPreprocessor.overflowBounds(weights);
    NDArray checks;
    try {
      checks = fusedStep.run(updates, new BaseStepKernels.Inputs(grads, bounds, rescaleGrad,
          clipGrad, guarded ? BaseStepKernels.GateMode.CHECK : BaseStepKernels.GateMode.OPEN,
          List.of(), true));
    } catch (RuntimeException e) {
      // Nothing was written; the steps counted at add go again, the gradients are cleared.
      for (BaseStepBatch.Pending p : updates) {
        for (int j = p.undo().size() - 1; j >= 0; j--) {
          p.undo().get(j).run();
        }
        GradientPreprocessor.clearGradient(p.weight());
      }
      throw e;
    }
    if (!guarded) {
      checks.close();
      return;
    }
    List<GradientPreprocessor.BatchEntry> entries = new ArrayList<>(updates.size());
    for (BaseStepBatch.Pending p : updates) {
      entries.add(new GradientPreprocessor.BatchEntry(p.parameterId(), p.key(),
          p.weight().getShape().toString(), p.undo()));
    }
    preprocessor.guardBatch(entries, checks);
  }

  private void updateOne(String parameterId, String key, NDArray weight, NDArray grad) {
    try (NoGradScope noGrad = NoGradScope.enter(weight);
        NDManager scratch = scratchManagers.scratch(weight)) {
      grad.tempAttach(scratch);
      Optional<GradientPreprocessor.Prepared> p = preprocessor.prepareStep(parameterId, key, grad);
      if (p.isEmpty()) {
        return;
      }
      UpdateGate gate = p.get().gate();
      int step = steps.merge(key, 1, Integer::sum);
      // A rejected update (GUARDED) did not happen: its step does not count.
      gate.onRejected(() -> steps.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1));
      float lr = learningRate.getNewValue(parameterId, step);
      base.update(key, weight, p.get().gradient(), lr, step, gate);
    } finally {
      GradientPreprocessor.clearGradient(weight);
    }
  }

  /**
   * The configuration a checkpoint must have been written with: the checkpointed settings of
   * {@link #settings()} (the base optimizer and its settings, gradient rescale and clip), not the
   * runtime ones: the learning-rate tracker, checked by its own record ({@link
   * LearningRateRecord}; keep it the same across a restart), the non-finite policy, which changes
   * no good step (see {@link org.shampoo4j.shampoo.state.StateBinding#IGNORED_FINGERPRINT_KEYS}),
   * and the fused step, bit for bit the per-parameter path.
   */
  public Fingerprint fingerprint() {
    return SETTINGS.fingerprint(this, Fingerprint.builder()).build();
  }

  /**
   * The adapter's settings, described once: name, role ({@link Setting.Role#CHECKPOINTED} or
   * {@link Setting.Role#RUNTIME}) and reader; {@link #fingerprint()} is derived from them.
   */
  public static SettingList<BaseOptimizerAdapter> settings() {
    return SETTINGS;
  }

  /**
   * Writes each parameter's step counter and base state, and the skipped-update count. Under
   * {@link NonFinitePolicy#GUARDED} reads the gradient checks not read yet first ({@link
   * #checkGradients}), so a checkpoint never holds an update still to be rejected.
   *
   * @throws IllegalStateException from {@link #checkGradients}; nothing is written then
   */
  @Override
  public void saveState(OutputStream out, ParameterSet parameters) throws IOException {
    flush();
    if (policy == NonFinitePolicy.GUARDED) {
      preprocessor.checkDeferred();
    }
    var contents = StateBinding.contents(CHECKPOINT_KIND, fingerprint(),
        skippedUpdates(), parameters, steps.keySet(), key -> {
          Integer step = steps.get(key);
          if (step == null) {
            return StateSnapshot.EMPTY;
          }
          StateSnapshot.Builder b = StateSnapshot.builder().counter(STEP, step);
          LearningRateRecord.write(b, learningRate, key, step);
          StateSnapshot state = base.saveState(key);
          return state.isEmpty() ? b.build() : b.include(BASE, state).build();
        });
    CheckpointFile.write(out, contents);
  }

  @Override
  public void loadState(InputStream in, ParameterSet parameters) throws IOException {
    flush();
    StateBinding.Loaded loaded =
        StateBinding.read(in, CHECKPOINT_KIND, fingerprint(), parameters);
    Map<String, Integer> freshSteps = new LinkedHashMap<>();
    Map<String, StateSnapshot> baseStates = new LinkedHashMap<>();
    Map<String, NDArray> weights = new LinkedHashMap<>();
    for (StateBinding.Bound b : loaded.parameters()) {
      StateSnapshot snapshot = b.record().state();
      if (snapshot.isEmpty()) {
        continue;
      }
      NDArray weight = b.parameter().array();
      String key = keys.key(b.parameter().id(), weight.getDevice());
      try {
        StateSnapshot.Reader r = snapshot.reader(weight.getManager());
        freshSteps.put(key, (int) r.counter(STEP, 1, Integer.MAX_VALUE));
        LearningRateRecord.check(snapshot, STEP, learningRate, b.parameter().id());
        r.markSection(LearningRateRecord.SECTION);
        r.markSection(BASE);
        r.finish();
      } catch (IllegalArgumentException e) {
        throw new InvalidCheckpointException(
            "parameter '" + b.record().name() + "': " + e.getMessage(), e);
      }
      baseStates.put(key, snapshot.section(BASE));
      weights.put(key, weight);
    }
    try {
      base.restoreState(baseStates, weights);
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      throw new InvalidCheckpointException("base optimizer state: " + e.getMessage(), e);
    }
    steps.clear();
    steps.putAll(freshSteps);
    preprocessor.restoreSkippedUpdates(loaded.skippedUpdates());
  }

  @Override
  public void close() {
    if (batch != null) {
      batch.close();
    }
    if (fusedStep != null) {
      fusedStep.close();
    }
    base.close();
    preprocessor.close();
    scratchManagers.close();
  }

  /** Builder of {@link BaseOptimizerAdapter}. */
  public static final class Builder {
    private BaseOptimizer base;
    private ParameterTracker learningRate = Tracker.fixed(0.01f);
    private float rescaleGrad = 1f;
    private float clipGrad = -1f;
    private NonFinitePolicy nonFinitePolicy = NonFinitePolicy.GUARDED;
    private boolean fusedStep = true;

    private Builder() {}

    /**
     * Whether each training step's updates run as one fused call into a TorchScript module
     * (default on): DJL's rescale and clip, the gradient check and the update of every parameter
     * at once, bit for bit the per-parameter path's results, with a few JNI calls per step
     * instead of a dozen per parameter. It applies to {@link SgdMomentum} and {@link AdamW} under
     * {@link NonFinitePolicy#GUARDED} or {@link NonFinitePolicy#UNCHECKED} on DJL's PyTorch
     * engine; otherwise, and during the first step (which learns the parameter order), updates
     * run per parameter. Off keeps the per-parameter path, the reference.
     */
    public Builder fusedStep(boolean fusedStep) {
      this.fusedStep = fusedStep;
      return this;
    }

    /** The optimizer to run (required); the adapter owns and closes it. */
    public Builder baseOptimizer(BaseOptimizer base) {
      this.base = Objects.requireNonNull(base, "base");
      return this;
    }

    /** The learning-rate tracker; default fixed 0.01. */
    public Builder learningRateTracker(ParameterTracker tracker) {
      this.learningRate = Objects.requireNonNull(tracker, "tracker");
      return this;
    }

    /** Gradient multiplier (DJL {@code rescaleGrad}); default 1. */
    public Builder rescaleGrad(float rescaleGrad) {
      this.rescaleGrad = rescaleGrad;
      return this;
    }

    /** Element-wise clip bound (DJL {@code clipGrad}); a value {@code <= 0} is off (default). */
    public Builder clipGrad(float clipGrad) {
      this.clipGrad = clipGrad;
      return this;
    }

    /** Non-finite gradient policy; default {@link NonFinitePolicy#GUARDED}. */
    public Builder nonFinitePolicy(NonFinitePolicy policy) {
      this.nonFinitePolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * The adapter.
     *
     * @throws IllegalArgumentException for a bad rescale or clip value, or a missing optimizer
     */
    public BaseOptimizerAdapter build() {
      if (base == null) {
        throw new IllegalArgumentException("a base optimizer is required");
      }
      return new BaseOptimizerAdapter(this);
    }
  }

  /**
   * Carries rescale and clip into DJL's {@link Optimizer} fields (so {@code rescaleGrad} and
   * {@code clipGrad} read the same as in DJL's optimizers); weight decay stays 0 here because the
   * base optimizers own their weight decay.
   */
  static final class DjlSettings extends OptimizerBuilder<DjlSettings> {
    DjlSettings(float rescaleGrad, float clipGrad) {
      setRescaleGrad(rescaleGrad);
      optClipGrad(clipGrad);
    }

    @Override
    protected DjlSettings self() {
      return this;
    }
  }
}
