package org.shampoo4j.shampoo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.optimizer.Optimizer;
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
import org.shampoo4j.linalg.InverseRootMethod;
import org.shampoo4j.linalg.MatrixFunctions;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.distributed.DeviceGroup;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.distributed.OwnerLedger;
import org.shampoo4j.shampoo.distributed.ReplicaRelay;
import org.shampoo4j.shampoo.distributed.Sharded;
import org.shampoo4j.shampoo.distributed.WorkUnit;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.RootUpdates;
import org.shampoo4j.shampoo.bank.StatisticUpdates;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.BaseStepBatch;
import org.shampoo4j.shampoo.base.FusedBaseStep;
import org.shampoo4j.shampoo.base.DeviceManagers;
import org.shampoo4j.shampoo.base.DeviceScalars;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.base.GradientPreprocessor;
import org.shampoo4j.shampoo.base.NoGradScope;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.base.StateKeys;
import org.shampoo4j.shampoo.base.UpdateGate;
import org.shampoo4j.shampoo.memory.DeviceMemory;
import org.shampoo4j.shampoo.health.BlockHealth;
import org.shampoo4j.shampoo.health.HealthReport;
import org.shampoo4j.shampoo.memory.MemoryReport;
import org.shampoo4j.shampoo.memory.ParameterMemory;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;
import org.shampoo4j.shampoo.representation.StepRoot;
import org.shampoo4j.shampoo.state.CheckpointContents;
import org.shampoo4j.shampoo.state.CheckpointFile;
import org.shampoo4j.shampoo.state.CheckpointableOptimizer;
import org.shampoo4j.shampoo.state.Fingerprint;
import org.shampoo4j.shampoo.state.InvalidCheckpointException;
import org.shampoo4j.shampoo.state.LearningRateRecord;
import org.shampoo4j.shampoo.state.ParameterSet;
import org.shampoo4j.shampoo.state.StateBinding;
import org.shampoo4j.shampoo.state.StateSnapshot;

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
 * <p>The direction of a preconditioned parameter (blocks, {@code L̂·G·R̂}, grafting) is one call
 * into a TorchScript module ({@link Builder#fusedStep}), bit for bit equal to the per-operation
 * DJL path at a fraction of its host calls; 4-bit roots are decoded by quant-api's fused
 * dequantization, and fp32 roots are read in place.
 *
 * <p>Everything runs on the parameter's device. Host synchronisation per step: under the default
 * {@code NonFinitePolicy.GUARDED} one read per step for all parameters, plus one per
 * preconditioned parameter at T1/T2 steps (see {@link NonFinitePolicy}); one scalar per parameter
 * under {@code THROW} and {@code SKIP}; none under {@code UNCHECKED}. Scalar operands are made on
 * the device and the grafting norms stay there. State (per parameter and device) is owned by the optimizer,
 * lives in its own managers on the parameter's device, and is freed by {@link #close()}, together
 * with the {@link MatrixFunctions} it made per device.
 *
 * <p>Several devices (DJL's multi-device {@code Trainer}): the {@link Distribution} decides where
 * state lives. {@link org.shampoo4j.shampoo.distributed.Replicated} (the default) keeps a full
 * state per replica, as DJL's optimizers do; {@link Sharded} gives every block one owner device,
 * computes each parameter's step once per training step (at replica 0's call) and copies the new
 * weight to the other replicas (see {@link Sharded} for the semantics).
 */
public final class ShampooOptimizer extends Optimizer
    implements CheckpointableOptimizer, AutoCloseable {
  /** The optimizer kind written into checkpoints. */
  public static final String CHECKPOINT_KIND = ShampooCheckpoint.KIND;


  private final ShampooConfig config;
  private final PreconditionerRepresentation representation;
  private final BaseOptimizer base;
  private final GradientPreprocessor preprocessor;
  private static final NDIndex ALL = new NDIndex("...");

  private final StateKeys keys = new StateKeys();
  private final DeviceManagers managers = new DeviceManagers();
  private final DeviceLinalg linalg;
  private final ParameterRegistry states;
  private final ShampooCheckpoint checkpoint;
  private final ShampooReports reports;
  private final Preconditioning preconditioning;
  private final Distribution distribution;
  private final float gradientScale;
  // Both null unless sharded: who owns which unit, and the step result on its way to replicas.
  private final OwnerLedger ledger;
  private final ReplicaRelay relay;
  // Replicated mode with an SGD-momentum or AdamW base (null otherwise): each step's base updates
  // buffered and applied in one fused call.
  private final BaseStepBatch baseBatch;
  private final FusedBaseStep fusedBase;

  private ShampooOptimizer(Builder b) {
    super(new DjlSettings(b.config.rescaleGrad(), b.config.clipGrad()));
    this.config = b.config;
    this.representation = b.representation;
    this.base = b.base != null ? b.base : b.config.baseOptimizer().create();
    this.preprocessor = new GradientPreprocessor(
        config.rescaleGrad(), config.clipGrad(), config.nonFinitePolicy());
    this.distribution = b.distribution;
    this.gradientScale = distribution.reduction().scale(distribution.replicas());
    if (distribution instanceof Sharded sharded) {
      this.ledger = sharded.newLedger();
      this.relay = new ReplicaRelay(sharded.group());
    } else {
      this.ledger = null;
      this.relay = null;
    }
    boolean batched = b.fusedBaseStep && relay == null && FusedBaseStep.supports(base);
    this.fusedBase = batched ? new FusedBaseStep(base) : null;
    // The fused call also zeroes the batched weights' gradients (one kernel for all of them).
    this.baseBatch = batched ? new BaseStepBatch(u -> fusedBase.applyGated(u, true)) : null;
    this.linalg = new DeviceLinalg(config, b.linalgFactory, b.fusedStep);
    this.states = new ParameterRegistry(config, representation, managers, linalg, this::owners,
        relay != null);
    this.checkpoint = new ShampooCheckpoint(config, base);
    this.reports = new ShampooReports(states, representation, base);
    this.preconditioning = new Preconditioning(config, linalg);
  }

  /**
   * Applies base updates still buffered by the fused base step ({@link Builder#fusedBaseStep}; a
   * step's updates are applied when its last parameter arrives, so this matters only after an
   * incomplete step). {@link #checkGradients}, {@link #saveState}, {@link #loadState}, {@link
   * #memoryReport} and {@link #close} call it.
   */
  public void flush() {
    if (baseBatch != null) {
      baseBatch.flush();
    }
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
    if (!(distribution instanceof Sharded sharded)) {
      return;
    }
    List<WorkUnit> units = new ArrayList<>();
    for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : model.getParameters()) {
      ai.djl.nn.Parameter parameter = p.getValue();
      if (!parameter.requiresGradient()) {
        continue;
      }
      if (!parameter.isInitialized()) {
        throw new IllegalArgumentException("parameter '" + p.getKey()
            + "' is not initialized; call planOwners after trainer.initialize");
      }
      Shape shape = parameter.getArray().getShape();
      units.addAll(units(sharded, parameter.getId(), shape, states.blockLayout(shape)));
    }
    ledger.plan(units);
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
        (id, device) -> relay != null ? id : keys.key(id, device));
    states.replaceAll(fresh);
    preprocessor.restoreSkippedUpdates(loaded.skippedUpdates());
  }

  @Override
  public void update(String parameterId, NDArray weight, NDArray grad) {
    boolean batched = false;
    boolean clearedByBatch = false;
    if (baseBatch != null && FusedBaseStep.accepts(weight)) {
      String key = keys.key(parameterId, weight.getDevice());
      try {
        // The step's checks are read when a key comes again: apply what is buffered first, as
        // the per-parameter path would have; then join the batch if this is its next update.
        if (preprocessor.hasPendingCheck(key)) {
          baseBatch.flush();
        }
        batched = baseBatch.admit(key);
      } catch (RuntimeException e) {
        GradientPreprocessor.clearGradient(weight);
        throw e;
      }
    }
    try (NoGradScope noGrad = NoGradScope.enter(weight);
        NDManager scratch = managers.scratch(weight)) {
      // Every temporary of this step is created from grad (or from arrays derived from it) and so
      // lands in scratch; grad itself goes back to its manager when scratch closes.
      grad.tempAttach(scratch);
      if (relay != null && relay.relay(parameterId, weight)) {
        return; // a later replica of a sharded step: replica 0's call computed it
      }
      NDArray reduced =
          gradientScale == 1f ? grad : grad.mul(DeviceScalars.of(grad, gradientScale));
      // Sharded: one state per parameter, shared by the replicas; replicated: one per replica.
      String key = relay != null ? parameterId : keys.key(parameterId, weight.getDevice());
      Optional<GradientPreprocessor.Prepared> prepared =
          preprocessor.prepareStep(parameterId, key, reduced);
      if (prepared.isEmpty()) {
        if (relay != null) {
          relay.publish(parameterId, null, null);
        }
        return;
      }
      UpdateGate gate = prepared.get().gate();
      boolean created = !states.contains(key);
      ParameterState state = states.getOrCreate(key, parameterId, weight);
      if (!state.shape.equals(weight.getShape())) {
        throw new IllegalArgumentException("parameter '" + parameterId + "' changed shape from "
            + state.shape + " to " + weight.getShape() + " between steps");
      }
      int step = ++state.step;
      // A rejected update (GUARDED) did not happen: its step does not count, and state it
      // created goes again.
      gate.onRejected(() -> states.rollBack(key, state, created));
      float lr = config.learningRateTracker().getNewValue(parameterId, step);
      NDArray g = prepared.get().gradient();
      if (relay == null) {
        NDArray direction =
            state.layout == null ? g : preconditioning.direction(state, g, step, scratch, gate);
        if (batched) {
          baseBatch.add(parameterId, key, weight, direction, lr, step, gate, List.of());
          clearedByBatch = true;
        } else {
          base.update(key, weight, direction, lr, step, gate);
        }
      } else {
        NDArray updated = shardedStep(state, key, weight, g, step, lr, scratch, gate);
        relay.publish(parameterId, updated, managers.forArray(weight));
      }
    } finally {
      // DJL's PyTorch engine leaves gradient clearing to the optimizer; a batched update's
      // gradient is zeroed by the batch's fused call, after the buffered work has read it.
      if (!clearedByBatch) {
        GradientPreprocessor.clearGradient(weight);
      }
    }
  }

  /**
   * The sharded step of one parameter, computed once at replica 0's call: every unit's gradient
   * goes to its owner, which runs the unit's Shampoo step and the base optimizer on its slice of
   * the weight; the slices come back and form the new weight, written into {@code weight} and
   * returned for the other replicas. A parameter with one unit runs the plain step at its owner
   * (so on one device this equals the replicated step bit for bit); blocks of a multi-block
   * parameter run the base optimizer on their slice, under their own state key, and each owner's
   * blocks go through the fused kernels together ({@link #ownerDirections}). Per-tensor
   * grafting needs the merged direction's norm: the blocks' directions are gathered on replica 0
   * for it (one parameter's worth of copies) and the factor goes back to the owners.
   */
  private NDArray shardedStep(ParameterState s, String key, NDArray weight, NDArray g, int step,
      float lr, NDManager scratch, UpdateGate gate) {
    Device home = weight.getDevice();
    Map<Device, NDManager> ownerScratch = new LinkedHashMap<>();
    String engine = weight.getManager().getEngine().getEngineName();
    try {
      NDArray updated;
      if (!s.perBlockBase()) {
        NDManager os = ownerScratch(ownerScratch, s.owners.get(0).device(), engine);
        NDArray w = copyOnto(weight, s.owners.get(0).device(), os);
        NDArray gu = g.toDevice(w.getDevice(), false);
        NDArray direction = s.layout == null ? gu : preconditioning.direction(s, gu, step, os, gate);
        base.update(key, w, direction, lr, step, gate);
        updated = w.toDevice(home, false);
      } else {
        DataType type = g.getDataType();
        Shape matrix = s.layout.matrixShape();
        NDArray m = g.toType(DataType.FLOAT32, false).reshape(matrix);
        NDArray wm = weight.reshape(matrix);
        boolean[] refresh = preconditioning.refreshes(step, gate);
        boolean stats = refresh[0];
        boolean roots = refresh[1];
        int n = s.blocks.size();
        NDArray[] directions = new NDArray[n];
        // Each owner's blocks together: one fused call for its statistics, roots and directions
        // where the step module is loaded, one operation at a time otherwise.
        Map<Device, List<BlockState>> byOwner = new LinkedHashMap<>();
        for (BlockState bs : s.blocks) {
          byOwner.computeIfAbsent(s.owners.get(bs.block.index()).device(),
              d -> new ArrayList<>()).add(bs);
        }
        for (Map.Entry<Device, List<BlockState>> e : byOwner.entrySet()) {
          Device owner = e.getKey();
          NDManager os = ownerScratch(ownerScratch, owner, engine);
          DeviceLinalg.Kernels la = linalg.get(owner);
          if (la.step() == null) {
            for (BlockState bs : e.getValue()) {
              NDArray gb = PerOperationStep.block(s, m, bs.block).toDevice(owner, false);
              directions[bs.block.index()] =
                  preconditioning.perOperation().blockDirection(bs, gb, stats, roots, os);
            }
          } else {
            preconditioning.banked().ownerDirections(s, e.getValue(), m.toDevice(owner, false), stats, roots, os, la,
                directions);
          }
        }
        boolean preconditioned = false;
        for (BlockState bs : s.blocks) {
          preconditioned |= bs.hasRoot;
        }
        if (preconditioned && config.grafting() == Grafting.PER_TENSOR) {
          // The tensor-wide factor, from the merged direction on replica 0 exactly as the
          // unsharded step computes it (same sum, same scalar); each owner applies it.
          NDArray[] gathered = new NDArray[n];
          for (int i = 0; i < n; i++) {
            gathered[i] = directions[i].toDevice(home, false);
          }
          NDArray scale = Grafting.scale(PerOperationStep.assemble(s.layout, gathered), m);
          // One copy of the factor per owner device, not per block.
          Map<Device, NDArray> scales = new LinkedHashMap<>();
          for (int i = 0; i < n; i++) {
            NDArray local = scales.computeIfAbsent(directions[i].getDevice(),
                d -> scale.toDevice(d, false));
            directions[i] = directions[i].mul(local);
          }
        }
        NDArray[] parts = new NDArray[n];
        for (BlockState bs : s.blocks) {
          int i = bs.block.index();
          Device owner = s.owners.get(i).device();
          NDArray wb = copyOnto(PerOperationStep.block(s, wm, bs.block), owner,
              ownerScratch(ownerScratch, owner, engine));
          base.update(s.unitKey(key, i), wb, directions[i].toType(type, false), lr, step, gate);
          parts[i] = wb.toDevice(home, false);
        }
        updated = PerOperationStep.assemble(s.layout, parts).reshape(s.shape);
      }
      updated.attach(scratch);
      weight.set(ALL, updated);
      return updated;
    } finally {
      ownerScratch.values().forEach(NDManager::close);
    }
  }

  private NDManager ownerScratch(Map<Device, NDManager> open, Device device, String engine) {
    return open.computeIfAbsent(device, d -> managers.forDevice(d, engine).newSubManager());
  }

  /** A fresh copy of {@code x} on {@code device} in {@code manager} (never an alias of x). */
  private static NDArray copyOnto(NDArray x, Device device, NDManager manager) {
    NDArray copy = x.getDevice().equals(device) ? x.duplicate() : x.toDevice(device, false);
    copy.attach(manager);
    return copy;
  }

  /** The owner of each unit of a parameter: the replica itself, or the sharded assignment. */
  private List<Owner> owners(String parameterId, NDArray weight, Optional<BlockLayout> layout) {
    if (!(distribution instanceof Sharded sharded)) {
      int count = layout.map(BlockLayout::blockCount).orElse(1);
      Owner self = new Owner(weight.getDevice(), weight.getDevice().toString());
      return java.util.Collections.nCopies(count, self);
    }
    DeviceGroup group = sharded.group();
    List<Owner> out = new ArrayList<>();
    for (int i : ledger.owners(parameterId,
        units(sharded, parameterId, weight.getShape(), layout))) {
      out.add(new Owner(group.device(i), group.label(i)));
    }
    return out;
  }

  /** A parameter's work units: its Shampoo blocks, or the whole parameter if unpreconditioned. */
  private List<WorkUnit> units(Sharded sharded, String parameterId, Shape shape,
      Optional<BlockLayout> layout) {
    if (layout.isEmpty()) {
      return List.of(new WorkUnit(parameterId, 0, sharded.cost().ofUnpreconditioned(shape.size())));
    }
    List<WorkUnit> out = new ArrayList<>();
    for (BlockLayout.Block b : layout.get().blocks()) {
      out.add(new WorkUnit(parameterId, b.index(), sharded.cost().ofBlock(b.rows(), b.cols())));
    }
    return out;
  }

  /** Frees all preconditioners, the base optimizer's state and the per-device matrix functions. */
  @Override
  public void close() {
    if (baseBatch != null) {
      baseBatch.close();
      fusedBase.close();
    }
    states.close();
    if (relay != null) {
      relay.close();
    }
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
