package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.state.StateRestoration;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * SGD with (heavy-ball or Nesterov) momentum and coupled L2 weight decay, PyTorch's {@code
 * torch.optim.SGD} rule without dampening:
 *
 * <pre>
 *   d ← direction + wd·w
 *   b ← μ·b + d                      (b starts at 0, so the first b is d)
 *   u ← Nesterov ? d + μ·b : b
 *   w ← w − lr·u
 * </pre>
 *
 * With μ = 0 no state is kept and the rule is plain SGD. State lives in an fp32 buffer per
 * parameter, on the parameter's device, owned by this optimizer and freed by {@link #close()}.
 */
public final class SgdMomentum implements BaseOptimizer {
  private static final NDIndex ALL = new NDIndex("...");

  private final Settings settings;
  private final DeviceManagers managers = new DeviceManagers();
  private final Map<String, NDArray> buffers = new ConcurrentHashMap<>();

  /** An optimizer with the given settings. */
  public SgdMomentum(Settings settings) {
    this.settings = java.util.Objects.requireNonNull(settings, "settings");
  }

  /** A builder with momentum 0.9, no Nesterov, no weight decay. */
  public static Builder builder() {
    return new Builder();
  }

  /** This optimizer's settings. */
  public Settings settings() {
    return settings;
  }

  @Override
  public String name() {
    return settings.name();
  }

  @Override
  public void update(String parameterId, NDArray weight, NDArray direction, float learningRate,
      int step, UpdateGate gate) {
    Checks.requireSameShape(parameterId, weight, direction);
    Checks.requireFiniteRate(parameterId, learningRate);
    NDArray buffer = null;
    if (settings.momentum() != 0f) {
      NDManager owner = managers.forArray(weight);
      buffer = buffers.computeIfAbsent(parameterId, k -> {
        gate.onRejected(() -> dropState(k));
        return owner.zeros(weight.getShape(), weight.getDataType());
      });
      Checks.requireStateShape(parameterId, buffer, weight);
    }
    try (NDManager scratch = managers.scratch(weight)) {
      // Temporaries of this step land in scratch and are freed with it; the attached arrays
      // return to their own managers.
      weight.tempAttach(scratch);
      direction.tempAttach(scratch);
      if (buffer != null) {
        buffer.tempAttach(scratch);
      }
      // No sanitising needed: element-wise arithmetic on a rejected NaN is selected away.
      NDArray d = direction;
      if (settings.weightDecay() != 0f) {
        d = d.add(weight.mul(DeviceScalars.of(weight, settings.weightDecay())));
      }
      NDArray u = d;
      if (buffer != null) {
        // One device scalar μ serves both the buffer update and Nesterov's look-ahead.
        NDArray momentum = DeviceScalars.of(buffer, settings.momentum());
        if (gate.isOpen()) {
          buffer.muli(momentum).addi(d);
        } else {
          // The same μ·b + d, out of place, stored only where the gate lets it through.
          NDArray fresh = buffer.mul(momentum).add(d);
          buffer.set(ALL, gate.select(fresh, buffer));
          buffer = fresh;
        }
        u = settings.nesterov() ? d.add(buffer.mul(momentum)) : buffer;
      }
      weight.subi(gate.delta(u.mul(DeviceScalars.of(u, learningRate))));
    }
  }

  /**
   * Updates every parameter of {@code updates} at once (state keyed by each update's key), bit
   * for bit as {@link #update} per parameter: creates missing state (adding its removal to the
   * update's undo list), runs the module, and returns its checks ({@link BaseStepKernels#sgd}).
   *
   * @throws IllegalArgumentException as {@link #update}, before anything is written
   */
  NDArray updateAll(BaseStepKernels kernels, java.util.List<BaseStepBatch.Pending> updates,
      BaseStepKernels.Inputs inputs) {
    int n = updates.size();
    java.util.List<NDArray> weights = new java.util.ArrayList<>(n);
    java.util.List<NDArray> state = new java.util.ArrayList<>(n);
    double[] rates = new double[n];
    for (int i = 0; i < n; i++) {
      BaseStepBatch.Pending u = updates.get(i);
      String id = u.key();
      NDArray weight = u.weight();
      if (u.gradient() != null) { // else the weight's own gradient
        Checks.requireSameShape(id, weight, u.gradient());
      }
      Checks.requireFiniteRate(id, u.learningRate());
      weights.add(weight);
      rates[i] = u.learningRate();
    }
    if (settings.momentum() != 0f) {
      for (BaseStepBatch.Pending u : updates) {
        String id = u.key();
        NDArray weight = u.weight();
        NDArray buffer = buffers.computeIfAbsent(id, k -> {
          u.undo().add(() -> dropState(k));
          return managers.forArray(weight).zeros(weight.getShape(), weight.getDataType());
        });
        Checks.requireStateShape(id, buffer, weight);
        state.add(buffer);
      }
    }
    return kernels.sgd(weights, inputs, state, rates, settings);
  }

  private void dropState(String parameterId) {
    NDArray b = buffers.remove(parameterId);
    if (b != null) {
      b.close();
    }
  }

  @Override
  public MemoryFootprint memory(String parameterId) {
    NDArray b = buffers.get(parameterId);
    return b == null ? MemoryFootprint.ZERO : MemoryFootprint.ofFp32(b.size());
  }

  /** The momentum settings and weight decay. */
  @Override
  public String configuration() {
    return settings.toString();
  }

  /** The momentum buffer {@code momentum} (fp32, the weight's shape), if the parameter has one. */
  @Override
  public StateSnapshot saveState(String parameterId) {
    NDArray b = buffers.get(parameterId);
    return b == null ? StateSnapshot.EMPTY : StateSnapshot.builder().array("momentum", b).build();
  }

  @Override
  public void restoreState(Map<String, StateSnapshot> states, Map<String, NDArray> weights) {
    Map<String, NDArray> read = StateRestoration.readAll(states, weights, managers::forArray,
        (r, w) -> r.array("momentum", w.getDataType(), w.getShape()),
        (a, owner) -> a.attach(owner), NDArray::close);
    buffers.values().forEach(NDArray::close);
    buffers.clear();
    buffers.putAll(read);
  }

  @Override
  public void close() {
    buffers.clear();
    managers.close();
  }

  /**
   * Immutable settings of {@link SgdMomentum}, validated on construction; also the spec that
   * makes fresh optimizers.
   *
   * @param momentum μ in [0, 1)
   * @param nesterov Nesterov momentum (needs μ > 0)
   * @param weightDecay coupled L2 coefficient, non-negative
   */
  public record Settings(float momentum, boolean nesterov, float weightDecay)
      implements BaseOptimizerSpec {
    /** Validates the settings. */
    public Settings {
      if (!(momentum >= 0f && momentum < 1f)) {
        throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
      }
      if (nesterov && momentum == 0f) {
        throw new IllegalArgumentException("Nesterov momentum needs a momentum > 0");
      }
      if (!(weightDecay >= 0f) || !Float.isFinite(weightDecay)) {
        throw new IllegalArgumentException(
            "weight decay must be finite and non-negative, got " + weightDecay);
      }
    }

    @Override
    public String name() {
      return nesterov ? "sgd-nesterov" : (momentum == 0f ? "sgd" : "sgd-momentum");
    }

    @Override
    public SgdMomentum create() {
      return new SgdMomentum(this);
    }
  }

  /** Builder of {@link SgdMomentum} and its {@link Settings}. */
  public static final class Builder {
    private float momentum = 0.9f;
    private boolean nesterov;
    private float weightDecay;

    private Builder() {}

    /** Momentum μ in [0, 1); default 0.9. */
    public Builder momentum(float momentum) {
      this.momentum = momentum;
      return this;
    }

    /** Nesterov momentum on or off; default off. */
    public Builder nesterov(boolean nesterov) {
      this.nesterov = nesterov;
      return this;
    }

    /** Coupled L2 weight decay, non-negative; default 0. */
    public Builder weightDecay(float weightDecay) {
      this.weightDecay = weightDecay;
      return this;
    }

    /**
     * The validated settings (also a {@link BaseOptimizerSpec}).
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public Settings settings() {
      return new Settings(momentum, nesterov, weightDecay);
    }

    /** A new optimizer. */
    public SgdMomentum build() {
      return new SgdMomentum(settings());
    }
  }
}
