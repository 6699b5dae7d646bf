package org.shampoo4j.adamw4;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.DeviceManagers;
import org.shampoo4j.shampoo.base.UpdateGate;
import org.shampoo4j.shampoo.state.StateRestoration;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * AdamW with 4-bit states (docs/algorithms.md §5; Li et al., NeurIPS 2023), usable on its own or as Shampoo's
 * base optimizer. Per parameter it stores the first moment m block-wise with the signed
 * dynamic-exponent map and the second moment v with rank-1 normalization and the linear map
 * without zero (by default; see {@link AdamW4BitConfig}). A step, all on the weight's device:
 *
 * <ol>
 *   <li>dequantize m and v;
 *   <li>{@code m ← β1·m + (1−β1)·g}, {@code v ← β2·v + (1−β2)·g²} in fp32;
 *   <li>decoupled weight decay {@code w ← w·(1 − lr·wd)}, then {@code w ← w − (lr/(1−β1^t))·m /
 *       (√v/√(1−β2^t) + eps)} (PyTorch's AdamW order);
 *   <li>quantize the new m and v for storage.
 * </ol>
 *
 * <p>The update uses the fp32 moments of this step and only their storage is 4-bit, as in the
 * paper's implementation. A step has no host round trip: the gradient is not checked for finiteness
 * here (Shampoo and the DJL adapter check it before calling). State lives in this optimizer's own
 * per-device managers and is freed by {@link #close()}.
 */
public final class AdamW4Bit implements BaseOptimizer {
  /** The name this optimizer reports. */
  public static final String NAME = "adamw-4bit";

  private final AdamW4BitConfig config;
  private final DeviceManagers managers = new DeviceManagers();
  private final Map<String, State> states = new ConcurrentHashMap<>();
  // The moments' quantization kernels, made with the first state's manager on first use and
  // closed with the state; the codecs below run on them.
  private CodeKernels kernels;
  private MomentCodec firstMoment;
  private MomentCodec secondMoment;

  /** An optimizer with the given configuration and no state yet. */
  public AdamW4Bit(AdamW4BitConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /** An optimizer with the paper's defaults ({@link AdamW4BitConfig#defaults()}). */
  public AdamW4Bit() {
    this(AdamW4BitConfig.defaults());
  }

  /** The configuration. */
  public AdamW4BitConfig config() {
    return config;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void update(String parameterId, NDArray weight, NDArray direction, float learningRate,
      int step, UpdateGate gate) {
    Objects.requireNonNull(parameterId, "parameterId");
    Objects.requireNonNull(weight, "weight");
    Objects.requireNonNull(direction, "direction");
    if (!weight.getShape().equals(direction.getShape())) {
      throw new IllegalArgumentException("parameter '" + parameterId + "': direction shape "
          + direction.getShape() + " differs from weight shape " + weight.getShape());
    }
    if (!Float.isFinite(learningRate) || learningRate < 0f) {
      throw new IllegalArgumentException("parameter '" + parameterId
          + "': learning rate must be finite and non-negative, got " + learningRate);
    }
    if (step < 1) {
      throw new IllegalArgumentException(
          "parameter '" + parameterId + "': step is 1-based, got " + step);
    }
    State state = states.computeIfAbsent(parameterId, id -> {
      gate.onRejected(() -> dropState(id));
      return newState(weight);
    });
    if (!state.shape.equals(weight.getShape())) {
      throw new IllegalArgumentException("parameter '" + parameterId + "' has shape "
          + weight.getShape() + " but its optimizer state was created for " + state.shape);
    }
    NDManager home = managers.forArray(weight);
    try (NDManager scope = home.newSubManager()) {
      weight.tempAttach(scope);
      direction.tempAttach(scope);
      NDArray g = gate.sanitize(direction).toType(DataType.FLOAT32, false);
      NDArray m = state.m.decode(scope).mul(config.beta1()).add(g.mul(1f - config.beta1()));
      NDArray v = state.v.decode(scope).mul(config.beta2())
          .add(g.square().mul(1f - config.beta2()));
      double bias1 = 1.0 - Math.pow(config.beta1(), step);
      double bias2 = 1.0 - Math.pow(config.beta2(), step);
      NDArray denominator = v.sqrt().div((float) Math.sqrt(bias2)).add(config.epsilon());
      NDArray delta = m.div(denominator).mul((float) (learningRate / bias1));
      if (config.weightDecay() != 0f) {
        weight.muli(gate.factor(weight, 1f - learningRate * config.weightDecay()));
      }
      weight.subi(gate.delta(delta.toType(weight.getDataType(), false)));
      if (gate.isOpen()) {
        state.replace(first(home).encode(m).attach(home), second(home).encode(v).attach(home));
      } else {
        // The new codes and scales stay in this step's scope; what is stored is selected from
        // them and the old ones buffer by buffer.
        state.replaceWhere(gate, first(home).encode(m), second(home).encode(v), home);
      }
    }
  }

  private void dropState(String parameterId) {
    State state = states.remove(parameterId);
    if (state != null) {
      state.close();
    }
  }

  private State newState(NDArray weight) {
    NDManager home = managers.forArray(weight);
    try (NDManager scope = home.newSubManager()) {
      NDArray zeros = scope.zeros(weight.getShape(), DataType.FLOAT32);
      return new State(weight.getShape(),
          first(home).encode(zeros).attach(home),
          second(home).encode(zeros).attach(home));
    }
  }

  @Override
  public MemoryFootprint memory(String parameterId) {
    State state = states.get(parameterId);
    return state == null ? MemoryFootprint.ZERO : state.memory();
  }

  /** The exact bytes of both moments of every parameter together. */
  public MemoryFootprint totalMemory() {
    MemoryFootprint total = MemoryFootprint.ZERO;
    for (State s : states.values()) {
      total = total.plus(s.memory());
    }
    return total;
  }

  /** β1, β2, eps, weight decay and both moments' storage. */
  @Override
  public String configuration() {
    return config.toString();
  }

  /** Both moments' buffers exactly as stored, under {@code m} and {@code v}. */
  @Override
  public StateSnapshot saveState(String parameterId) {
    State state = states.get(parameterId);
    if (state == null) {
      return StateSnapshot.EMPTY;
    }
    StateSnapshot.Builder b = StateSnapshot.builder();
    synchronized (state) {
      state.m.saveState(b, "m");
      state.v.saveState(b, "v");
    }
    return b.build();
  }

  @Override
  public void restoreState(Map<String, StateSnapshot> snapshots, Map<String, NDArray> weights) {
    Map<String, State> read = StateRestoration.readAll(snapshots, weights, managers::forArray,
        (reader, weight) -> {
          // A fresh state of the weight's shape, in the reader's scope, says what to expect.
          NDArray zeros = reader.manager().zeros(weight.getShape(), DataType.FLOAT32);
          NDManager home = managers.forArray(weight);
          QuantizedMoment m0 = first(home).encode(zeros);
          QuantizedMoment v0 = second(home).encode(zeros);
          return new State(weight.getShape(), m0.restoreState(reader, "m"),
              v0.restoreState(reader, "v"));
        },
        (state, owner) -> {
          state.m.attach(owner);
          state.v.attach(owner);
        },
        State::close);
    states.values().forEach(State::close);
    states.clear();
    states.putAll(read);
  }

  @Override
  public void close() {
    states.values().forEach(State::close);
    states.clear();
    synchronized (this) {
      if (kernels != null) {
        kernels.close();
      }
    }
    managers.close();
  }

  private MomentCodec first(NDManager home) {
    return codecs(home)[0];
  }

  private MomentCodec second(NDManager home) {
    return codecs(home)[1];
  }

  // The module names no device, so the first state's manager serves every device.
  private synchronized MomentCodec[] codecs(NDManager home) {
    if (kernels == null) {
      kernels = new CodeKernels(home);
      firstMoment = config.firstMoment().on(kernels);
      secondMoment = config.secondMoment().on(kernels);
    }
    return new MomentCodec[] {firstMoment, secondMoment};
  }

  @Override
  public String toString() {
    return "AdamW4Bit[" + config + ", parameters=" + states.size() + "]";
  }

  /** The stored moments of one parameter. Replaced whole after each step. */
  private static final class State {
    private final Shape shape;
    private QuantizedMoment m;
    private QuantizedMoment v;

    State(Shape shape, QuantizedMoment m, QuantizedMoment v) {
      this.shape = shape;
      this.m = m;
      this.v = v;
    }

    synchronized void replace(QuantizedMoment newM, QuantizedMoment newV) {
      m.close();
      v.close();
      m = newM;
      v = newV;
    }

    /**
     * Stores, buffer by buffer, {@code gate.select(new, stored)}: new arrays moved to {@code
     * home}, the old ones freed (quantized buffers are inference tensors: they cannot be written
     * in place).
     */
    synchronized void replaceWhere(UpdateGate gate, QuantizedMoment newM, QuantizedMoment newV,
        NDManager home) {
      QuantizedMoment keptM = m.withBuffers(select(gate, newM.buffers(), m.buffers()));
      QuantizedMoment keptV = v.withBuffers(select(gate, newV.buffers(), v.buffers()));
      replace(keptM.attach(home), keptV.attach(home));
    }

    private static List<NDArray> select(UpdateGate gate, List<NDArray> fresh,
        List<NDArray> stored) {
      if (fresh.size() != stored.size()) {
        throw new IllegalStateException("a moment's layout changed between steps: "
            + fresh.size() + " buffers, stored " + stored.size());
      }
      List<NDArray> out = new ArrayList<>(fresh.size());
      for (int i = 0; i < fresh.size(); i++) {
        out.add(gate.select(fresh.get(i), stored.get(i)));
      }
      return out;
    }

    synchronized MemoryFootprint memory() {
      return m.memory().plus(v.memory());
    }

    synchronized void close() {
      m.close();
      v.close();
    }
  }
}
