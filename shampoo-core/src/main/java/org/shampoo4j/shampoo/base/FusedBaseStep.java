package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Runs a step's batched base updates ({@link BaseStepBatch}) as one call of {@link
 * BaseStepKernels}: the fused counterpart of calling {@link BaseOptimizer#update} per parameter,
 * with the same results bit for bit. Owns the loaded module; close it to free it.
 */
public final class FusedBaseStep implements AutoCloseable {
  private final BaseOptimizer base;
  private BaseStepKernels kernels;
  private NDManager kernelManager;

  /**
   * A fused step for {@code base}.
   *
   * @throws IllegalArgumentException if {@code base} has no fused rule ({@link #supports})
   */
  public FusedBaseStep(BaseOptimizer base) {
    if (!supports(base)) {
      throw new IllegalArgumentException(base.name() + " has no fused multi-parameter step");
    }
    this.base = base;
  }

  /** Whether {@code base} has a fused rule: {@link SgdMomentum} and {@link AdamW}. */
  public static boolean supports(BaseOptimizer base) {
    return base instanceof SgdMomentum || base instanceof AdamW;
  }

  /** Whether the fused call can take this weight (an array of DJL's PyTorch engine). */
  public static boolean accepts(NDArray weight) {
    return weight instanceof PtNDArray;
  }

  /**
   * Applies {@code updates} as {@code base.update(key, weight, gradient, learningRate, step,
   * gate)} each would, in one call: every write selected by the update's gate, state created here
   * removed again if the gate rejects the update ({@link UpdateGate#onRejected}); then, if {@code
   * clearGradients}, the weights' gradients are zeroed in the same call (as each update's own
   * clearing would: the caller hands the clearing of these weights over to this call).
   *
   * @throws NullPointerException if an update has no gate
   */
  public void applyGated(List<BaseStepBatch.Pending> updates, boolean clearGradients) {
    boolean anyFlag = false;
    for (BaseStepBatch.Pending u : updates) {
      Objects.requireNonNull(u.gate(), "gate");
      anyFlag |= !u.gate().isOpen();
    }
    List<NDArray> flags = new ArrayList<>();
    List<NDArray> temporaries = new ArrayList<>();
    try {
      if (anyFlag) {
        for (BaseStepBatch.Pending u : updates) {
          NDArray flag = u.gate().flag();
          if (flag == null) {
            // An open gate among flagged ones: a true flag selects the update unchanged.
            flag = u.weight().getManager().full(new ai.djl.ndarray.types.Shape(), 1,
                ai.djl.ndarray.types.DataType.BOOLEAN);
            temporaries.add(flag);
          }
          flags.add(flag);
        }
      }
      List<NDArray> grads = new ArrayList<>(updates.size());
      for (BaseStepBatch.Pending u : updates) {
        grads.add(u.gradient());
      }
      BaseStepKernels.GateMode mode =
          anyFlag ? BaseStepKernels.GateMode.GIVEN : BaseStepKernels.GateMode.OPEN;
      NDArray checks = run(updates, new BaseStepKernels.Inputs(grads,
          new double[updates.size()], 1f, -1f, mode, flags, clearGradients));
      checks.close();
    } finally {
      temporaries.forEach(NDArray::close);
    }
    for (BaseStepBatch.Pending u : updates) {
      for (Runnable r : u.undo()) {
        u.gate().onRejected(r);
      }
    }
  }

  /**
   * Runs the fused rule on {@code updates}; on a failure before the module ran (a bad shape or
   * rate) undoes the state the rule created and rethrows.
   */
  NDArray run(List<BaseStepBatch.Pending> updates, BaseStepKernels.Inputs inputs) {
    if (kernels == null) {
      kernelManager = updates.get(0).weight().getManager().getEngine().newBaseManager();
      kernels = new BaseStepKernels(kernelManager);
    }
    try {
      if (base instanceof SgdMomentum sgd) {
        return sgd.updateAll(kernels, updates, inputs);
      }
      return ((AdamW) base).updateAll(kernels, updates, inputs);
    } catch (RuntimeException e) {
      for (BaseStepBatch.Pending u : updates) {
        for (int j = u.undo().size() - 1; j >= 0; j--) {
          u.undo().get(j).run();
        }
        u.undo().clear();
      }
      throw e;
    }
  }

  /** Frees the loaded module (idempotent). */
  @Override
  public void close() {
    if (kernels != null) {
      kernels.close();
      kernelManager.close();
      kernels = null;
    }
  }
}
