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
 * AdamW (Loshchilov and Hutter) with decoupled weight decay, PyTorch's {@code torch.optim.AdamW}
 * rule:
 *
 * <pre>
 *   w ← w·(1 − lr·wd)
 *   m ← β1·m + (1−β1)·d,   v ← β2·v + (1−β2)·d²
 *   w ← w − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps)
 * </pre>
 *
 * where d is the direction and t the 1-based step. Two fp32 buffers per parameter on its device.
 */
public final class AdamW implements BaseOptimizer {
  private static final NDIndex ALL = new NDIndex("...");

  private final Settings settings;
  private final DeviceManagers managers = new DeviceManagers();
  private final Map<String, NDArray[]> moments = new ConcurrentHashMap<>();

  /** An optimizer with the given settings. */
  public AdamW(Settings settings) {
    this.settings = java.util.Objects.requireNonNull(settings, "settings");
  }

  /** A builder with β1 0.9, β2 0.999, eps 1e-8, weight decay 0.01 (PyTorch's defaults). */
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
    Checks.requirePositiveStep(parameterId, step);
    NDManager owner = managers.forArray(weight);
    NDArray[] mv = moments.computeIfAbsent(parameterId, k -> {
      gate.onRejected(() -> dropState(k));
      return new NDArray[] {
          owner.zeros(weight.getShape(), weight.getDataType()),
          owner.zeros(weight.getShape(), weight.getDataType())};
    });
    Checks.requireStateShape(parameterId, mv[0], weight);
    NDArray m = mv[0];
    NDArray v = mv[1];
    float b1 = settings.beta1();
    float b2 = settings.beta2();
    double bc1 = 1.0 - Math.pow(b1, step);
    double bc2 = 1.0 - Math.pow(b2, step);
    try (NDManager scratch = managers.scratch(weight)) {
      weight.tempAttach(scratch);
      direction.tempAttach(scratch);
      m.tempAttach(scratch);
      v.tempAttach(scratch);
      // No sanitising needed: element-wise arithmetic on a rejected NaN is selected away.
      NDArray d = direction;
      if (settings.weightDecay() != 0f) {
        weight.muli(gate.factor(weight, 1f - learningRate * settings.weightDecay()));
      }
      NDArray mIncrement = d.mul(DeviceScalars.of(d, 1f - b1));
      NDArray vIncrement = d.square().muli(DeviceScalars.of(d, 1f - b2));
      if (gate.isOpen()) {
        m.muli(DeviceScalars.of(m, b1)).addi(mIncrement);
        v.muli(DeviceScalars.of(v, b2)).addi(vIncrement);
      } else {
        // The same β·x + increment, out of place, stored only where the gate lets it through.
        NDArray mFresh = m.mul(DeviceScalars.of(m, b1)).addi(mIncrement);
        NDArray vFresh = v.mul(DeviceScalars.of(v, b2)).addi(vIncrement);
        m.set(ALL, gate.select(mFresh, m));
        v.set(ALL, gate.select(vFresh, v));
        m = mFresh;
        v = vFresh;
      }
      NDArray denom = v.sqrt().divi(DeviceScalars.of(v, (float) Math.sqrt(bc2)))
          .addi(DeviceScalars.of(v, settings.epsilon()));
      weight.subi(
          gate.delta(m.div(denom).muli(DeviceScalars.of(m, (float) (learningRate / bc1)))));
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
    java.util.List<NDArray> ms = new java.util.ArrayList<>(n);
    java.util.List<NDArray> vs = new java.util.ArrayList<>(n);
    double[] factors = new double[n];
    double[] sizes = new double[n];
    double[] bias2 = new double[n];
    for (int i = 0; i < n; i++) {
      BaseStepBatch.Pending u = updates.get(i);
      String id = u.key();
      NDArray weight = u.weight();
      float lr = u.learningRate();
      int step = u.step();
      if (u.gradient() != null) { // else the weight's own gradient
        Checks.requireSameShape(id, weight, u.gradient());
      }
      Checks.requireFiniteRate(id, lr);
      Checks.requirePositiveStep(id, step);
      // The float32 constants exactly as update() computes them.
      double bc1 = 1.0 - Math.pow(settings.beta1(), step);
      double bc2 = 1.0 - Math.pow(settings.beta2(), step);
      factors[i] = 1f - lr * settings.weightDecay();
      sizes[i] = (float) (lr / bc1);
      bias2[i] = (float) Math.sqrt(bc2);
      weights.add(weight);
    }
    for (BaseStepBatch.Pending u : updates) {
      String id = u.key();
      NDArray weight = u.weight();
      NDArray[] mv = moments.computeIfAbsent(id, k -> {
        u.undo().add(() -> dropState(k));
        NDManager owner = managers.forArray(weight);
        return new NDArray[] {
            owner.zeros(weight.getShape(), weight.getDataType()),
            owner.zeros(weight.getShape(), weight.getDataType())};
      });
      Checks.requireStateShape(id, mv[0], weight);
      ms.add(mv[0]);
      vs.add(mv[1]);
    }
    return kernels.adamw(weights, inputs, ms, vs, factors, sizes, bias2, settings);
  }

  private void dropState(String parameterId) {
    NDArray[] mv = moments.remove(parameterId);
    if (mv != null) {
      mv[0].close();
      mv[1].close();
    }
  }

  @Override
  public MemoryFootprint memory(String parameterId) {
    NDArray[] mv = moments.get(parameterId);
    return mv == null ? MemoryFootprint.ZERO : MemoryFootprint.ofFp32(mv[0].size() + mv[1].size());
  }

  /** β1, β2, eps and weight decay. */
  @Override
  public String configuration() {
    return settings.toString();
  }

  /** The moments {@code m} and {@code v} (fp32, the weight's shape), if the parameter has them. */
  @Override
  public StateSnapshot saveState(String parameterId) {
    NDArray[] mv = moments.get(parameterId);
    return mv == null ? StateSnapshot.EMPTY
        : StateSnapshot.builder().array("m", mv[0]).array("v", mv[1]).build();
  }

  @Override
  public void restoreState(Map<String, StateSnapshot> states, Map<String, NDArray> weights) {
    Map<String, NDArray[]> read = StateRestoration.readAll(states, weights, managers::forArray,
        (r, w) -> new NDArray[] {
            r.array("m", w.getDataType(), w.getShape()),
            r.array("v", w.getDataType(), w.getShape())},
        (mv, owner) -> {
          mv[0].attach(owner);
          mv[1].attach(owner);
        },
        mv -> {
          mv[0].close();
          mv[1].close();
        });
    for (NDArray[] mv : moments.values()) {
      mv[0].close();
      mv[1].close();
    }
    moments.clear();
    moments.putAll(read);
  }

  @Override
  public void close() {
    moments.clear();
    managers.close();
  }

  /**
   * Immutable settings of {@link AdamW}, validated on construction; also the spec that makes
   * fresh optimizers.
   *
   * @param beta1 first-moment decay in [0, 1)
   * @param beta2 second-moment decay in [0, 1)
   * @param epsilon denominator offset, positive
   * @param weightDecay decoupled weight decay, non-negative
   */
  public record Settings(float beta1, float beta2, float epsilon, float weightDecay)
      implements BaseOptimizerSpec {
    /** Validates the settings. */
    public Settings {
      if (!(beta1 >= 0f && beta1 < 1f)) {
        throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
      }
      if (!(beta2 >= 0f && beta2 < 1f)) {
        throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
      }
      if (!(epsilon > 0f) || !Float.isFinite(epsilon)) {
        throw new IllegalArgumentException("epsilon must be positive and finite, got " + epsilon);
      }
      if (!(weightDecay >= 0f) || !Float.isFinite(weightDecay)) {
        throw new IllegalArgumentException(
            "weight decay must be finite and non-negative, got " + weightDecay);
      }
    }

    @Override
    public String name() {
      return "adamw";
    }

    @Override
    public AdamW create() {
      return new AdamW(this);
    }
  }

  /** Builder of {@link AdamW} and its {@link Settings}. */
  public static final class Builder {
    private float beta1 = 0.9f;
    private float beta2 = 0.999f;
    private float epsilon = 1e-8f;
    private float weightDecay = 0.01f;

    private Builder() {}

    /** First-moment decay β1 in [0, 1); default 0.9. */
    public Builder beta1(float beta1) {
      this.beta1 = beta1;
      return this;
    }

    /** Second-moment decay β2 in [0, 1); default 0.999. */
    public Builder beta2(float beta2) {
      this.beta2 = beta2;
      return this;
    }

    /** Denominator offset, positive; default 1e-8. */
    public Builder epsilon(float epsilon) {
      this.epsilon = epsilon;
      return this;
    }

    /** Decoupled weight decay, non-negative; default 0.01. */
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
      return new Settings(beta1, beta2, epsilon, weightDecay);
    }

    /** A new optimizer. */
    public AdamW build() {
      return new AdamW(settings());
    }
  }
}
