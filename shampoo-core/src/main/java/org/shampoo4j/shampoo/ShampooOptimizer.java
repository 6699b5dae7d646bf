package org.shampoo4j.shampoo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.shampoo4j.linalg.MatrixFunctions;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.distributed.Sharded;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.FusedBaseStep;
import org.shampoo4j.shampoo.base.DeviceManagers;
import org.shampoo4j.shampoo.base.DeviceScalars;
import org.shampoo4j.shampoo.base.GradientPreprocessor;
import org.shampoo4j.shampoo.base.NoGradScope;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.base.UpdateGate;
import org.shampoo4j.shampoo.health.HealthReport;
import org.shampoo4j.shampoo.memory.MemoryReport;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.state.CheckpointContents;
import org.shampoo4j.shampoo.state.CheckpointFile;
import org.shampoo4j.shampoo.state.CheckpointableOptimizer;
import org.shampoo4j.shampoo.state.Fingerprint;
import org.shampoo4j.shampoo.state.ParameterSet;
import org.shampoo4j.shampoo.state.StateBinding;
import org.shampoo4j.shampoo.training.OwnGradientUpdates;

/**
 * Shampoo (docs/algorithms.md §1) as a DJL {@link Optimizer}: use it with {@code
 * DefaultTrainingConfig.optOptimizer(shampoo)}. The statistics and inverse roots are stored by a
 * pluggable {@link PreconditionerRepresentation} (32-bit full matrices, or a 4-bit one); the
 * grafted direction is handed to a {@link BaseOptimizer} as if it were the gradient.
 *
 * <p>One step of parameter W with gradient G (see {@link ShampooConfig} for step numbering):
 *
 * <ol>
 *   <li>G is rescaled, clipped and checked for non-finite values ({@link
 *       org.shampoo4j.shampoo.base.GradientPreprocessor}).
 *   <li>If W has rank ≤ 1 or is tiny ({@link BlockLayout#of}), the base optimizer updates W from G.
 *   <li>Otherwise G is viewed as a matrix (size-1 dimensions dropped, then {@code (shape[0],
 *       rest)}) and cut into blocks ({@link BlockLayout}). Per block: at T1 steps {@code
 *       L.accumulate(Gb·Gbᵀ)}, {@code R.accumulate(Gbᵀ·Gb)}; at T2 steps both roots are
 *       refreshed; once a root exists {@code Pb = L̂·Gb·R̂} (under {@link Grafting#PER_BLOCK}
 *       rescaled to {@code ‖Gb‖/(‖Pb‖ + 1e-12)}); before that {@code Pb = Gb}.
 *   <li>The blocks are put back together into P; under {@link Grafting#PER_TENSOR} (the default,
 *       as in the official code) P is rescaled to {@code ‖G‖/(‖P‖ + 1e-12)} once a root exists.
 *       P is reshaped to W's shape and passed to the base optimizer.
 *   <li>W's gradient buffer is zeroed (DJL's PyTorch engine leaves that to the optimizer).
 * </ol>
 *
 * <p>Numerical faults: a statistic update or root refresh that fails (a solver error, or a result
 * with NaN or an infinity) keeps that preconditioner's previous state, is counted per block
 * ({@link #health()}, {@link #memoryReport()}) and logged as one warning; after {@link
 * ShampooConfig#maxConsecutiveFailures()} failed statistic (or root) events of one block in a
 * row the step throws a
 * {@link org.shampoo4j.shampoo.health.PreconditionerFailureException} naming parameter, block and
 * cause. Checking costs one scalar read per preconditioner update, at T1 and T2 steps only.
 *
 * <p>The direction of a preconditioned parameter (blocks, {@code L̂·G·R̂}, grafting) is computed
 * by a TorchScript module ({@link Builder#fusedStep}): by default for all of a step's parameters
 * in one call when the step's last parameter arrives, blocks of one shape stacked across
 * parameters ({@link Builder#batchedDirections}, within float32 rounding of the per-parameter
 * call), or per parameter, bit for bit the per-operation DJL path. 4-bit roots are decoded inside
 * the call, fp32 roots read in place.
 *
 * <p>Everything runs on the parameter's device. Host synchronisation per step: under the default
 * {@code NonFinitePolicy.GUARDED} one read per step for all parameters, plus at T1/T2 steps one
 * for the whole step when it is taken whole ({@link #updateFromGradients}) or one per
 * preconditioned parameter through {@link #update} (see {@link NonFinitePolicy}); one scalar per
 * parameter under {@code THROW} and {@code SKIP}; none under {@code UNCHECKED}. Scalar operands
 * are made on the device and the grafting norms stay there. State (per parameter and device) is
 * owned by the optimizer, lives in its own managers on the parameter's device, and is freed by
 * {@link #close()}, together with the {@link MatrixFunctions} it made per device.
 *
 * <p>Several devices (DJL's multi-device {@code Trainer}): the {@link Distribution} decides where
 * state lives. {@link org.shampoo4j.shampoo.distributed.Replicated} (the default) keeps a full
 * state per replica, as DJL's optimizers do; {@link Sharded} gives every block one owner device,
 * computes each parameter's step once per training step (at replica 0's call) and copies the new
 * weight to the other replicas (see {@link Sharded} for the semantics).
 *
 * <p>This class is the DJL adapter; the work is done by package-private parts, each readable on
 * its own: the parameter-state registry, the distribution's step strategy (replicated or
 * sharded), the banked step and the per-operation reference step it equals, the checkpoint codec
 * and the reports.
 */
public final class ShampooOptimizer extends Optimizer
    implements CheckpointableOptimizer, OwnGradientUpdates, AutoCloseable {
  /** The optimizer kind written into checkpoints. */
  public static final String CHECKPOINT_KIND = ShampooCheckpoint.KIND;


  private final ShampooConfig config;
  private final PreconditionerRepresentation representation;
  private final BaseOptimizer base;
  private final GradientPreprocessor preprocessor;

  private final DeviceManagers managers = new DeviceManagers();
  private final DeviceLinalg linalg;
  private final ParameterRegistry states;
  private final ShampooCheckpoint checkpoint;
  private final ShampooReports reports;
  private final Distribution distribution;
  private final float gradientScale;
  private final DistributedStep steps;
  private final Preconditioning preconditioning;
  private long wholeSteps;

  private ShampooOptimizer(Builder b) {
    super(new DjlSettings(b.config.rescaleGrad(), b.config.clipGrad()));
    this.config = b.config;
    this.representation = b.representation;
    this.base = b.base != null ? b.base : b.config.baseOptimizer().create();
    this.preprocessor = new GradientPreprocessor(
        config.rescaleGrad(), config.clipGrad(), config.nonFinitePolicy());
    this.distribution = b.distribution;
    this.gradientScale = distribution.reduction().scale(distribution.replicas());
    this.linalg = new DeviceLinalg(config, b.linalgFactory, b.fusedStep, b.refreshStacking);
    this.preconditioning = new Preconditioning(config, linalg);
    this.steps = DistributedStep.of(distribution, config, base, preprocessor, preconditioning,
        managers, b.fusedBaseStep, b.fusedStep && b.batchedDirections);
    this.states = new ParameterRegistry(config, representation, managers, linalg, steps);
    this.checkpoint = new ShampooCheckpoint(config, base);
    this.reports = new ShampooReports(states, representation, base);
  }

  /**
   * Applies base updates still buffered by the fused base step ({@link Builder#fusedBaseStep}; a
   * step's updates are applied when its last parameter arrives, so this matters only after an
   * incomplete step). {@link #checkGradients}, {@link #saveState}, {@link #loadState}, {@link
   * #memoryReport} and {@link #close} call it.
   */
  public void flush() {
    steps.flush();
  }

  /** A builder; {@link Builder#config} and {@link Builder#representation} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The configuration. */
  public ShampooConfig config() {
    return config;
  }

  /** The preconditioner representation. */
  public PreconditionerRepresentation representation() {
    return representation;
  }

  /** How state and work are spread over DJL's training devices. */
  public Distribution distribution() {
    return distribution;
  }

  /**
   * Under a {@link Sharded} distribution, chooses now the owner of every block of the model's
   * trainable parameters, largest first across the whole model (assigning each parameter when it
   * is first updated balances worse, since it cannot see the parameters still to come). Call it
   * after {@code trainer.initialize}, before the first step; parameters already placed keep their
   * owners. Does nothing for a replicated distribution.
   *
   * @throws IllegalArgumentException if a trainable parameter is not initialized
   */
  public void planOwners(ai.djl.nn.Block model) {
    steps.planOwners(model);
  }

  /** The base optimizer (owned by this optimizer and closed with it). */
  public BaseOptimizer baseOptimizer() {
    return base;
  }

  /**
   * The block layout Shampoo uses for a parameter, or empty if the parameter has not been updated
   * yet or is not preconditioned.
   */
  public Optional<BlockLayout> layout(String parameterId) {
    ParameterState s = states.get(parameterId);
    return s == null ? Optional.empty() : Optional.ofNullable(s.layout);
  }

  /**
   * The left ({@code left = true}) or right statistic's preconditioner of one block of a
   * parameter, for tests and reports (the optimizer keeps ownership).
   *
   * @throws IllegalArgumentException if the parameter or block has no preconditioner
   */
  public Preconditioner preconditioner(String parameterId, int block, boolean left) {
    return states.preconditioner(parameterId, block, left);
  }

  /** How many parameter updates were skipped for non-finite gradients (SKIP policy). */
  public long skippedUpdates() {
    return preprocessor.skippedUpdates();
  }

  /**
   * Under {@link NonFinitePolicy#GUARDED} and {@link NonFinitePolicy#DEFERRED_THROW}, reads the
   * gradient checks of the updates since the last read now (for example after the last step of a
   * run); otherwise does nothing.
   *
   * @throws IllegalStateException naming every parameter whose gradient was non-finite (under
   *     GUARDED after undoing those parameters' updates)
   */
  public void checkGradients() {
    flush();
    preprocessor.checkDeferred();
  }

  /**
   * Rejected preconditioner updates per block (the previous state was kept each time) and skipped
   * gradient updates; see {@link org.shampoo4j.shampoo.health}.
   */
  public HealthReport health() {
    return reports.health(skippedUpdates());
  }


  /** The optimizer's memory, from the real buffers of every preconditioner and base state. */
  public MemoryReport memoryReport() {
    flush();
    return reports.memory(skippedUpdates());
  }


  /**
   * The configuration a checkpoint must have been written with to load into this optimizer:
   * representation and its settings, base optimizer and its settings, and the checkpointed
   * settings of {@link ShampooConfig#settings()} (derived from that list, not from the runtime
   * ones: the learning-rate tracker, checked by its own record, and the non-finite policy).
   */
  public Fingerprint fingerprint() {
    Fingerprint.Builder fingerprint = Fingerprint.builder()
        .put("representation", representation.name())
        .put("representation.configuration", representation.configuration())
        .put("base", base.name())
        .put("base.configuration", base.configuration());
    return config.fingerprint(fingerprint).build();
  }

  /**
   * Writes every parameter's state: step counter, per block whether a root exists and its failure
   * counts ({@link #health()}: rejected updates, current runs of failed events), both
   * preconditioners exactly as stored (see each representation's {@code saveState}) and the base
   * optimizer's state, plus the skipped-update count. Do not call it during a step. Under {@link
   * NonFinitePolicy#GUARDED} the gradient checks not read yet are read first ({@link
   * #checkGradients}, which may throw; nothing is written then), so a checkpoint never holds an
   * update still to be rejected.
   */
  @Override
  public void saveState(OutputStream out, ParameterSet parameters) throws IOException {
    flush();
    if (config.nonFinitePolicy() == NonFinitePolicy.GUARDED) {
      // A checkpoint never holds an update still to be rejected.
      preprocessor.checkDeferred();
    }
    CheckpointContents contents;
    contents = checkpoint.contents(fingerprint(), skippedUpdates(), parameters, states);
    CheckpointFile.write(out, contents);
  }

  /**
   * Replaces every parameter's state by the checkpoint's, on the parameters' devices; see {@link
   * CheckpointableOptimizer#loadState(InputStream, ParameterSet)}. Do not call it during a step.
   */
  @Override
  public void loadState(InputStream in, ParameterSet parameters) throws IOException {
    flush();
    StateBinding.Loaded loaded =
        StateBinding.read(in, CHECKPOINT_KIND, fingerprint(), parameters);
    Map<String, ParameterState> fresh = checkpoint.restore(loaded, states,
        steps::stateKey);
    states.replaceAll(fresh);
    preprocessor.restoreSkippedUpdates(loaded.skippedUpdates());
    steps.expectOrder(parameters);
  }

  @Override
  public void update(String parameterId, NDArray weight, NDArray grad) {
    boolean batched = steps.admit(parameterId, weight);
    boolean clearedByBatch = false;
    try (NoGradScope noGrad = NoGradScope.enter(weight);
        NDManager scratch = managers.scratch(weight)) {
      // Every temporary of this step is created from grad (or from arrays derived from it) and so
      // lands in scratch; grad itself goes back to its manager when scratch closes.
      grad.tempAttach(scratch);
      if (steps.relayed(parameterId, weight)) {
        return; // a later replica of a sharded step: replica 0's call computed it
      }
      NDArray reduced =
          gradientScale == 1f ? grad : grad.mul(DeviceScalars.of(grad, gradientScale));
      String key = steps.stateKey(parameterId, weight.getDevice());
      // GUARDED: an update that refreshes nothing leaves its check to the batch (one call for
      // the step's gradients); one that refreshes needs its gate now, to skip a bad refresh.
      ParameterState known = states.get(key);
      boolean checkLater = batched && preprocessor.checksLater() && steps.checksLater()
          && known != null && !preconditioning.refreshesAt(known, known.step + 1);
      NDArray gradient;
      UpdateGate gate;
      if (checkLater) {
        gradient = preprocessor.prepareUnchecked(key, reduced);
        gate = null;
      } else {
        Optional<GradientPreprocessor.Prepared> prepared =
            preprocessor.prepareStep(parameterId, key, reduced);
        if (prepared.isEmpty()) {
          steps.skipped(parameterId);
          return;
        }
        gradient = prepared.get().gradient();
        gate = prepared.get().gate();
      }
      boolean created = known == null;
      ParameterState state = states.getOrCreate(key, parameterId, weight);
      if (!state.shape.equals(weight.getShape())) {
        throw new IllegalArgumentException("parameter '" + parameterId + "' changed shape from "
            + state.shape + " to " + weight.getShape() + " between steps");
      }
      int step = ++state.step;
      // A rejected update (GUARDED) did not happen: its step does not count, and state it
      // created goes again.
      Runnable rollBack = () -> states.rollBack(key, state, created);
      if (gate != null) {
        gate.onRejected(rollBack);
      }
      float lr = config.learningRateTracker().getNewValue(parameterId, step);
      clearedByBatch = steps.step(new DistributedStep.Update(parameterId, key, state, weight,
          gradient, step, lr, scratch, gate, batched,
          gate == null ? List.of(rollBack) : List.of()));
    } finally {
      // DJL's PyTorch engine leaves gradient clearing to the optimizer; a batched update's
      // gradient is zeroed by the batch's fused call, after the buffered work has read it.
      if (!clearedByBatch) {
        GradientPreprocessor.clearGradient(weight);
      }
    }
  }

  /**
   * Updates a whole step's weights from their own gradients. Where every state exists, the
   * policy is {@link NonFinitePolicy#GUARDED}, there is no rescale or clip, one device and the
   * default fused and batched step, a step runs as a few calls whatever the parameter count: one
   * GUARDED check of all gradients, all directions ({@code directions}), one base step; the
   * gradients are read inside them, so the host takes no handle per parameter. A step that
   * refreshes statistics (T1) or roots (T2) adds the refreshes of all its parameters, batched
   * across parameters, with every gate read in one read. Any other step goes through {@link
   * #update} per parameter. The result is the same either way.
   */
  @Override
  public void updateFromGradients(List<String> parameterIds, List<NDArray> weights) {
    OwnGradientUpdates.requirePairs(parameterIds, weights);
    List<DistributedStep.Update> whole = wholeStep(parameterIds, weights);
    if (whole == null) {
      OwnGradientUpdates.updateEach(this, parameterIds, weights);
      return;
    }
    try (NoGradScope noGrad = NoGradScope.enter(weights.get(0))) {
      steps.stepAll(whole);
      wholeSteps++;
    } catch (RuntimeException e) {
      weights.forEach(GradientPreprocessor::clearGradient);
      throw e;
    }
  }

  /**
   * The updates of a step taken whole (steps counted), or null if this step must go through
   * {@link #update} per parameter.
   */
  private List<DistributedStep.Update> wholeStep(List<String> ids, List<NDArray> weights) {
    if (weights.isEmpty() || gradientScale != 1f || !preprocessor.checksLater()
        || preprocessor.changesGradients()) {
      return null;
    }
    Device device = weights.get(0).getDevice();
    if (!steps.takesWholeSteps(device)) {
      return null;
    }
    // As the first update of a step would: apply what is buffered, then read the last checks
    // (which may undo rejected steps' counts, so the states are looked at afterwards).
    steps.flush();
    List<String> keys = new ArrayList<>(weights.size());
    for (int i = 0; i < weights.size(); i++) {
      keys.add(steps.stateKey(ids.get(i), weights.get(i).getDevice()));
      preprocessor.beginUpdate(keys.get(i));
    }
    List<ParameterState> known = new ArrayList<>(weights.size());
    for (int i = 0; i < weights.size(); i++) {
      NDArray w = weights.get(i);
      ParameterState s = states.get(keys.get(i));
      if (!w.getDevice().equals(device) || !FusedBaseStep.accepts(w) || s == null
          || !s.shape.equals(w.getShape())) {
        return null;
      }
      known.add(s);
    }
    List<DistributedStep.Update> out = new ArrayList<>(weights.size());
    for (int i = 0; i < weights.size(); i++) {
      String id = ids.get(i);
      String key = keys.get(i);
      ParameterState s = known.get(i);
      int step = ++s.step;
      float lr = config.learningRateTracker().getNewValue(id, step);
      out.add(new DistributedStep.Update(id, key, s, weights.get(i), null, step, lr, null, null,
          true, List.of(() -> states.rollBack(key, s, false))));
    }
    return out;
  }

  /** How many steps {@link #updateFromGradients} took whole. */
  long wholeSteps() {
    return wholeSteps;
  }

  /** Frees all preconditioners, the base optimizer's state and the per-device matrix functions. */
  @Override
  public void close() {
    steps.close();
    states.close();
    base.close();
    preprocessor.close();
    linalg.close();
    managers.close();
  }

  /** Builder of {@link ShampooOptimizer}. */
  public static final class Builder {
    private ShampooConfig config;
    private PreconditionerRepresentation representation;
    private BaseOptimizer base;
    private MatrixFunctionsFactory linalgFactory = TorchScriptMatrixFunctions::new;
    private Distribution distribution = Distribution.replicated();
    private boolean fusedStep = true;
    private boolean fusedBaseStep = true;
    private boolean batchedDirections = true;
    private RefreshStacking refreshStacking = RefreshStacking.GPU_ONLY;

    private Builder() {}

    /**
     * How state and work are spread over DJL's training devices; default {@link
     * Distribution#replicated()} (a full state per device, DJL's summed gradient as it is).
     */
    public Builder distribution(Distribution distribution) {
      this.distribution = Objects.requireNonNull(distribution, "distribution");
      return this;
    }

    /** The configuration (required). */
    public Builder config(ShampooConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /** How statistics are stored (required), for example {@code new FullMatrixRepresentation()}. */
    public Builder representation(PreconditionerRepresentation representation) {
      this.representation = Objects.requireNonNull(representation, "representation");
      return this;
    }

    /**
     * The base optimizer, owned and closed by the Shampoo optimizer; default: a fresh one from
     * {@link ShampooConfig#baseOptimizer()}.
     */
    public Builder baseOptimizer(BaseOptimizer base) {
      this.base = Objects.requireNonNull(base, "base");
      return this;
    }

    /**
     * How matrix functions are made per device; default {@code TorchScriptMatrixFunctions::new}
     * (eigh, QR and Cholesky through a TorchScript module on the device).
     */
    public Builder matrixFunctions(MatrixFunctionsFactory factory) {
      this.linalgFactory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /**
     * Whether each parameter's direction (blocks, {@code L̂·G·R̂}, grafting) is
     * computed by one call into a TorchScript module ({@code true}, the default: {@link
     * StepKernels}) or by one DJL operation at a time ({@code false}). Both give bit-for-bit the
     * same result; the fused call spares the host dozens of JNI calls per parameter and step,
     * which is what limits a step on a GPU. Blocks of a sharded multi-block parameter always take
     * the per-operation path (their blocks live on different devices).
     */
    public Builder fusedStep(boolean fusedStep) {
      this.fusedStep = fusedStep;
      return this;
    }

    /**
     * Whether the base optimizer's updates of a step (an {@link
     * org.shampoo4j.shampoo.base.SgdMomentum} or {@link org.shampoo4j.shampoo.base.AdamW} base,
     * replicated distribution) are buffered and applied in one call into a TorchScript module
     * ({@code true}, the default: {@link FusedBaseStep}) or one parameter at a time ({@code
     * false}). Both give bit-for-bit the same result. The first step, which learns the order of
     * the parameters, and any update out of that order run per parameter; a step's updates are
     * applied when its last parameter arrives.
     */
    public Builder fusedBaseStep(boolean fusedBaseStep) {
      this.fusedBaseStep = fusedBaseStep;
      return this;
    }

    /**
     * Whether the directions of a step's preconditioned parameters are computed together, in one
     * call when the step's last parameter arrives ({@code true}, the default), or each in its own
     * call as its update arrives ({@code false}). Together, the step module stacks the blocks of
     * all parameters per block shape: one batched decode of their 4-bit roots and two batched
     * matmuls per shape instead of a dozen kernels per block, which is what a step costs the host
     * on a GPU. The results equal the per-parameter ones within float32 rounding, not bit for bit
     * (libtorch's batched matmul and the blockwise norm sums of per-tensor grafting round
     * differently); runs and resumes stay bit for bit either way. Takes effect only with {@link
     * #fusedStep} and {@link #fusedBaseStep} on and a replicated distribution, from the second
     * step (the first learns the order of the parameters).
     */
    public Builder batchedDirections(boolean batchedDirections) {
      this.batchedDirections = batchedDirections;
      return this;
    }

    /**
     * How refreshes compute the blocks of one order (see {@link RefreshStacking}); default {@link
     * RefreshStacking#GPU_ONLY}. Takes effect with {@link #fusedStep}.
     */
    public Builder refreshStacking(RefreshStacking refreshStacking) {
      this.refreshStacking = Objects.requireNonNull(refreshStacking, "refreshStacking");
      return this;
    }

    /**
     * The optimizer.
     *
     * @throws IllegalArgumentException if the configuration or representation is missing
     */
    public ShampooOptimizer build() {
      if (config == null) {
        throw new IllegalArgumentException("a ShampooConfig is required");
      }
      if (representation == null) {
        throw new IllegalArgumentException("a PreconditionerRepresentation is required");
      }
      return new ShampooOptimizer(this);
    }
  }

  /** Carries rescale and clip into DJL's {@link Optimizer} fields; weight decay stays 0. */
  private static final class DjlSettings extends OptimizerBuilder<DjlSettings> {
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
