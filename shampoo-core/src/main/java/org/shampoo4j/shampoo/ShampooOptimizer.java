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
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.DeviceManagers;
import org.shampoo4j.shampoo.base.GradientPreprocessor;
import org.shampoo4j.shampoo.base.StateKeys;
import org.shampoo4j.shampoo.memory.MemoryReport;
import org.shampoo4j.shampoo.memory.ParameterMemory;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * Shampoo (SPEC §1) as a DJL {@link Optimizer}: use it with {@code
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
 * <p>Everything runs on the parameter's device. Host synchronisation per step: one scalar per
 * parameter for the non-finite check (none under {@code NonFinitePolicy.UNCHECKED}); the
 * grafting norms stay on the device. State (per parameter and device) is owned by the optimizer,
 * lives in its own managers on the parameter's device, and is freed by {@link #close()}, together
 * with the {@link MatrixFunctions} it made per device.
 */
public final class ShampooOptimizer extends Optimizer implements AutoCloseable {
  private final ShampooConfig config;
  private final PreconditionerRepresentation representation;
  private final BaseOptimizer base;
  private final MatrixFunctionsFactory linalgFactory;
  private final GradientPreprocessor preprocessor;
  private final StateKeys keys = new StateKeys();
  private final DeviceManagers managers = new DeviceManagers();
  private final Map<Device, DeviceLinalg> linalg = new ConcurrentHashMap<>();
  private final Map<String, ParameterState> states =
      java.util.Collections.synchronizedMap(new LinkedHashMap<>());

  private ShampooOptimizer(Builder b) {
    super(new DjlSettings(b.config.rescaleGrad(), b.config.clipGrad()));
    this.config = b.config;
    this.representation = b.representation;
    this.base = b.base != null ? b.base : b.config.baseOptimizer().create();
    this.linalgFactory = b.linalgFactory;
    this.preprocessor = new GradientPreprocessor(
        config.rescaleGrad(), config.clipGrad(), config.nonFinitePolicy());
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
    ParameterState s = states.get(parameterId);
    if (s == null || s.layout == null) {
      throw new IllegalArgumentException("parameter '" + parameterId
          + "' has no preconditioner (not updated yet, or not preconditioned)");
    }
    if (block < 0 || block >= s.blocks.size()) {
      throw new IllegalArgumentException("parameter '" + parameterId + "' has "
          + s.blocks.size() + " blocks, no block " + block);
    }
    return left ? s.blocks.get(block).left : s.blocks.get(block).right;
  }

  /** How many parameter updates were skipped for non-finite gradients (SKIP policy). */
  public long skippedUpdates() {
    return preprocessor.skippedUpdates();
  }

  /** The optimizer's memory, from the real buffers of every preconditioner and base state. */
  public MemoryReport memoryReport() {
    List<ParameterMemory> out = new ArrayList<>();
    synchronized (states) {
      for (Map.Entry<String, ParameterState> e : states.entrySet()) {
        ParameterState s = e.getValue();
        MemoryFootprint pre = MemoryFootprint.ZERO;
        long rejected = 0;
        for (BlockState bs : s.blocks) {
          pre = pre.plus(bs.left.memory()).plus(bs.right.memory());
          rejected += bs.left.rejectedUpdates() + bs.right.rejectedUpdates();
        }
        out.add(new ParameterMemory(e.getKey(), s.shape.toString(), s.layout != null,
            s.blocks.size(), pre, base.memory(e.getKey()), rejected));
      }
    }
    return new MemoryReport(representation.name(), base.name(), out, skippedUpdates());
  }

  @Override
  public void update(String parameterId, NDArray weight, NDArray grad) {
    String key = keys.key(parameterId, weight.getDevice());
    try (NDManager scratch = managers.scratch(weight)) {
      // Every temporary of this step is created from grad (or from arrays derived from it) and so
      // lands in scratch; grad itself goes back to its manager when scratch closes.
      grad.tempAttach(scratch);
      Optional<NDArray> prepared = preprocessor.prepare(parameterId, grad);
      if (prepared.isEmpty()) {
        return;
      }
      ParameterState state = states.computeIfAbsent(key, k -> newState(k, weight));
      if (!state.shape.equals(weight.getShape())) {
        throw new IllegalArgumentException("parameter '" + parameterId + "' changed shape from "
            + state.shape + " to " + weight.getShape() + " between steps");
      }
      int step = ++state.step;
      float lr = config.learningRateTracker().getNewValue(parameterId, step);
      NDArray g = prepared.get();
      NDArray direction = state.layout == null ? g : precondition(state, g, step, scratch);
      base.update(key, weight, direction, lr, step);
    } finally {
      // DJL's PyTorch engine leaves gradient clearing to the optimizer.
      GradientPreprocessor.clearGradient(weight);
    }
  }

  private NDArray precondition(ParameterState s, NDArray g, int step, NDManager scratch) {
    DataType type = g.getDataType();
    NDArray m = g.toType(DataType.FLOAT32, false).reshape(s.layout.matrixShape());
    boolean stats = step % config.statisticsInterval() == 0;
    boolean roots = step % config.rootInterval() == 0;
    NDArray[] parts = new NDArray[s.blocks.size()];
    boolean preconditioned = false;
    for (BlockState bs : s.blocks) {
      BlockLayout.Block b = bs.block;
      NDArray gb = s.blocks.size() == 1 ? m
          : m.get(new NDIndex("{}:{}, {}:{}", b.rowStart(), b.rowEnd(), b.colStart(), b.colEnd()));
      if (stats) {
        NDArray gt = gb.transpose();
        bs.left.accumulate(gb.matMul(gt));
        bs.right.accumulate(gt.matMul(gb));
      }
      if (roots) {
        bs.left.refreshInverseRoot();
        bs.right.refreshInverseRoot();
        bs.hasRoot = true;
      }
      parts[b.index()] = bs.hasRoot ? direction(bs, gb, scratch) : gb;
      preconditioned |= bs.hasRoot;
    }
    NDArray p = parts.length == 1 ? parts[0] : assemble(s.layout, parts);
    if (preconditioned && config.grafting() == Grafting.PER_TENSOR) {
      p = Grafting.rescale(p, m);
    }
    return p.reshape(s.shape).toType(type, false);
  }

  private NDArray direction(BlockState bs, NDArray gb, NDManager scratch) {
    NDArray lh = bs.left.inverseRoot(scratch);
    NDArray rh = bs.right.inverseRoot(scratch);
    NDArray p = lh.matMul(gb).matMul(rh);
    return config.grafting() == Grafting.PER_BLOCK ? Grafting.rescale(p, gb) : p;
  }

  private static NDArray assemble(BlockLayout layout, NDArray[] parts) {
    NDList rows = new NDList(layout.rowBlocks());
    for (int i = 0; i < layout.rowBlocks(); i++) {
      NDList row = new NDList(layout.colBlocks());
      for (int j = 0; j < layout.colBlocks(); j++) {
        row.add(parts[i * layout.colBlocks() + j]);
      }
      rows.add(row.size() == 1 ? row.get(0) : NDArrays.concat(row, 1));
    }
    return rows.size() == 1 ? rows.get(0) : NDArrays.concat(rows, 0);
  }

  private ParameterState newState(String key, NDArray weight) {
    Shape shape = weight.getShape();
    Optional<BlockLayout> layout =
        BlockLayout.of(shape, config.maxOrder(), config.minPreconditionedDimension());
    List<BlockState> blocks = new ArrayList<>();
    if (layout.isPresent()) {
      NDManager deviceManager = managers.forArray(weight);
      DeviceLinalg la = linalg.computeIfAbsent(weight.getDevice(), d -> {
        MatrixFunctions f = linalgFactory.create(deviceManager);
        return new DeviceLinalg(f, config.rootMethod().create(f, config.newtonIterations()));
      });
      // One sub-manager per parameter keeps its state together on the parameter's device.
      NDManager owner = deviceManager.newSubManager();
      PreconditionerContext shared = PreconditionerContext.builder()
          .beta(config.beta()).epsilon(config.epsilon()).rootExponent(4)
          .linalg(la.functions).rootMethod(la.root).manager(owner)
          .bits(config.quantizationBits()).blockSize(config.quantizationBlockSize())
          .minQuantizedElements(config.minQuantizedElements())
          .build();
      for (BlockLayout.Block b : layout.get().blocks()) {
        String label = key + "[block " + b.index() + "]";
        Preconditioner l =
            representation.create(b.rows(), shared.toBuilder().label(label + ".L").build());
        Preconditioner r =
            representation.create(b.cols(), shared.toBuilder().label(label + ".R").build());
        blocks.add(new BlockState(b, l, r));
      }
    }
    return new ParameterState(shape, layout.orElse(null), blocks);
  }

  /** Frees all preconditioners, the base optimizer's state and the per-device matrix functions. */
  @Override
  public void close() {
    synchronized (states) {
      for (ParameterState s : states.values()) {
        for (BlockState bs : s.blocks) {
          bs.left.close();
          bs.right.close();
        }
      }
      states.clear();
    }
    base.close();
    for (DeviceLinalg la : linalg.values()) {
      if (la.functions instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing matrix functions failed", e);
        }
      }
    }
    linalg.clear();
    managers.close();
  }

  private record DeviceLinalg(MatrixFunctions functions, InverseRootMethod root) {}

  private static final class BlockState {
    final BlockLayout.Block block;
    final Preconditioner left;
    final Preconditioner right;
    boolean hasRoot;

    BlockState(BlockLayout.Block block, Preconditioner left, Preconditioner right) {
      this.block = block;
      this.left = left;
      this.right = right;
    }
  }

  private static final class ParameterState {
    final Shape shape;
    final BlockLayout layout;
    final List<BlockState> blocks;
    int step;

    ParameterState(Shape shape, BlockLayout layout, List<BlockState> blocks) {
      this.shape = shape;
      this.layout = layout;
      this.blocks = blocks;
    }
  }

  /** Builder of {@link ShampooOptimizer}. */
  public static final class Builder {
    private ShampooConfig config;
    private PreconditionerRepresentation representation;
    private BaseOptimizer base;
    private MatrixFunctionsFactory linalgFactory = TorchScriptMatrixFunctions::new;

    private Builder() {}

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
