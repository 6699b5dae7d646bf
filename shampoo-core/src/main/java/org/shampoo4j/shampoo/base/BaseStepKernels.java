package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.shampoo4j.quant.TorchScriptModules;

/**
 * One base-optimizer step for many parameters as one call into a TorchScript module (the classpath
 * resource {@value #MODULE_RESOURCE}, made by {@code shampoo-core/scripts/make_base_step_module.py}):
 * DJL's rescale and clip, the {@link NonFinitePolicy#GUARDED} check and the gated SGD-momentum or
 * AdamW update of every parameter, then the weights' gradients zeroed (where defined, as DJL's
 * {@code zeroGrad}). The module works on flat copies of the parameters' gradients and state (in
 * passes of at most {@value #PASS_ELEMENTS} elements, so its transient memory is bounded; the
 * counts and pass boundaries come from here, so the module loops over parameters only to make
 * 1-D views and collect gradients): each operator
 * runs once per pass, the checks are multi-tensor kernels, and the writes back are multi-tensor
 * kernels, so a step launches a few dozen kernels whatever the number of parameters, where a loop
 * over parameters launched about seventeen per parameter. Element by element it applies the
 * per-parameter path's operators in the same order with the same float32 constants, so the results
 * are bit for bit the same (a state value that is a negative zero may come back positive). The
 * module holds no tensors; close it to free the native module.
 */
final class BaseStepKernels implements AutoCloseable {
  /** Classpath resource (relative to this class) holding the scripted module. */
  static final String MODULE_RESOURCE = "base_step.pt";

  /** The most elements of one flat pass of the module (see {@link #runs}). */
  static final long PASS_ELEMENTS = 1L << 23;

  private final PtSymbolBlock module;

  /**
   * Loads the module.
   *
   * @throws IllegalArgumentException if the manager is not of DJL's PyTorch engine
   */
  BaseStepKernels(NDManager manager) {
    if (!(manager instanceof PtNDManager pt)) {
      throw new IllegalArgumentException("the fused base step needs DJL's PyTorch engine, got "
          + manager.getEngine().getEngineName());
    }
    this.module = TorchScriptModules.load(pt, BaseStepKernels.class, MODULE_RESOURCE);
  }

  /** How each parameter's ok flag is decided. */
  enum GateMode {
    /** Every update lands (no flag). */
    OPEN(0),
    /** Computed from the prepared gradient (max |g| within the bound); the checks are returned. */
    CHECK(1),
    /** Given, one 0-dimensional boolean array per parameter (an {@link UpdateGate}'s flag). */
    GIVEN(2);

    final long code;

    GateMode(long code) {
      this.code = code;
    }
  }

  /**
   * The gradient treatment shared by both rules.
   *
   * @param grads per parameter, the gradient (or direction) the rule applies, null for the
   *     weight's own gradient (read inside the call); empty: every weight's own
   * @param bounds per parameter, the float32 overflow bound (read in {@link GateMode#CHECK})
   * @param rescale DJL's rescaleGrad (1 for none)
   * @param clip DJL's clipGrad ({@code <= 0} for none)
   * @param mode how the ok flags are decided
   * @param flags the flags in {@link GateMode#GIVEN} (else empty)
   * @param zeroGradients whether the module zeroes the weights' gradients afterwards
   */
  record Inputs(List<NDArray> grads, double[] bounds, float rescale, float clip, GateMode mode,
      List<NDArray> flags, boolean zeroGradients) {}

  /**
   * SGD-momentum over all {@code weights} (updated in place, as are {@code buffers}, empty when
   * the momentum is 0). Returns the checks, a new {@code [2, n]} float32 array in the first
   * weight's manager (max |g| of each parameter, then its ok flag as 0/1) in {@link
   * GateMode#CHECK}, else a {@code [2, 0]} one.
   */
  NDArray sgd(List<NDArray> weights, Inputs g, List<NDArray> buffers, double[] learningRates,
      SgdMomentum.Settings s) {
    try (NDManager scratch = weights.get(0).getManager().newSubManager();
        IValue w = list(weights);
        IValue grads = list(givenOrOwn(g.grads(), scratch));
        IValue b = list(buffers);
        IValue lrs = IValue.listFrom(learningRates);
        IValue bounds = IValue.listFrom(g.bounds());
        IValue rescale = IValue.from((double) g.rescale());
        IValue clip = IValue.from((double) g.clip());
        IValue mode = IValue.from(g.mode().code);
        IValue flags = list(g.flags());
        IValue zero = IValue.from(g.zeroGradients());
        IValue momentum = IValue.from((double) s.momentum());
        IValue nesterov = IValue.from(s.nesterov());
        IValue decay = IValue.from((double) s.weightDecay());
        IValue counts = IValue.listFrom(counts(weights));
        IValue runs = IValue.listFrom(runs(weights));
        IValue result = TorchScriptModules.run(module, "sgd", w, grads, b, lrs, bounds, rescale,
            clip, mode, flags, zero, momentum, nesterov, decay, counts, runs)) {
      return checks(result, weights);
    }
  }

  /**
   * AdamW over all {@code weights}; per parameter {@code decayFactors = 1 − lr·wd}, {@code
   * stepSizes = lr / (1 − β1^t)} and {@code sqrtBias2 = √(1 − β2^t)}, each a float32 value
   * computed as the per-parameter path does. Returns the checks as {@link #sgd}.
   */
  NDArray adamw(List<NDArray> weights, Inputs g, List<NDArray> ms, List<NDArray> vs,
      double[] decayFactors, double[] stepSizes, double[] sqrtBias2, AdamW.Settings s) {
    try (NDManager scratch = weights.get(0).getManager().newSubManager();
        IValue w = list(weights);
        IValue grads = list(givenOrOwn(g.grads(), scratch));
        IValue m = list(ms);
        IValue v = list(vs);
        IValue factors = IValue.listFrom(decayFactors);
        IValue sizes = IValue.listFrom(stepSizes);
        IValue bias2 = IValue.listFrom(sqrtBias2);
        IValue bounds = IValue.listFrom(g.bounds());
        IValue rescale = IValue.from((double) g.rescale());
        IValue clip = IValue.from((double) g.clip());
        IValue mode = IValue.from(g.mode().code);
        IValue flags = list(g.flags());
        IValue zero = IValue.from(g.zeroGradients());
        IValue beta1 = IValue.from((double) s.beta1());
        IValue beta2 = IValue.from((double) s.beta2());
        IValue oneMinusBeta1 = IValue.from((double) (1f - s.beta1()));
        IValue oneMinusBeta2 = IValue.from((double) (1f - s.beta2()));
        IValue eps = IValue.from((double) s.epsilon());
        IValue decay = IValue.from(s.weightDecay() != 0f);
        IValue counts = IValue.listFrom(counts(weights));
        IValue runs = IValue.listFrom(runs(weights));
        IValue result = TorchScriptModules.run(module, "adamw", w, grads, m, v, factors, sizes,
            bias2, bounds, rescale, clip, mode, flags, zero, beta1, beta2, oneMinusBeta1,
            oneMinusBeta2, eps, decay, counts, runs)) {
      return checks(result, weights);
    }
  }

  /**
   * One parameter's {@link NonFinitePolicy#GUARDED} check in one call: {@code [max |g| <= bound
   * as a boolean scalar, [max |g|, that flag as 0/1] as float32]} (NaN is not within any bound),
   * new arrays in {@code g}'s manager, on its device; nothing is read to the host.
   */
  NDArray[] check(NDArray g, float bound) {
    try (IValue grad = IValue.from((PtNDArray) g);
        IValue limit = IValue.from((double) bound);
        IValue result = TorchScriptModules.run(module, "check", grad, limit)) {
      IValue[] parts = result.toIValueTuple();
      try {
        PtNDManager manager = (PtNDManager) g.getManager();
        return new NDArray[] {parts[0].toTensor(manager), parts[1].toTensor(manager)};
      } finally {
        for (IValue part : parts) {
          part.close();
        }
      }
    }
  }

  /**
   * The GUARDED checks of several gradients in one call, as the fused methods compute them: per
   * gradient its ok flag (a 0-d boolean array for {@link UpdateGate#of}) and the {@code [2, n]}
   * checks ({@code max |g|} of each, then each flag as 0/1), all in {@code manager}.
   *
   * @param weights the gradients' weights
   * @param grads per weight its gradient, or null for the weight's own (read inside the call)
   * @param bounds each gradient's overflow bound
   */
  Checks checks(List<NDArray> weights, List<NDArray> grads, double[] bounds,
      NDManager manager) {
    try (IValue weightValues = list(weights);
        IValue gradValues = list(givenOrOwn(grads, manager));
        IValue boundValues = IValue.listFrom(bounds);
        IValue result = TorchScriptModules.run(module, "checks", weightValues, gradValues,
            boundValues)) {
      IValue[] parts = result.toIValueTuple();
      try {
        PtNDManager pt = (PtNDManager) manager;
        return new Checks(List.of(parts[0].toTensorArray(pt)), parts[1].toTensor(pt));
      } finally {
        for (IValue part : parts) {
          part.close();
        }
      }
    }
  }

  /**
   * The result of {@link #checks}.
   *
   * @param flags per gradient, whether it passed (0-d boolean)
   * @param checks {@code [2, n]} float32: max |g| of each, then each flag as 0/1
   */
  record Checks(List<NDArray> flags, NDArray checks) {}

  /** Frees the native module (idempotent). */
  @Override
  public void close() {
    module.close();
  }

  /**
   * The checks of a method's result: a tuple of the checks and the gradients it zeroed, which the
   * module returns only so that the scripting compiler keeps the zeroing (nothing reads them).
   */
  private static NDArray checks(IValue result, List<NDArray> weights) {
    IValue[] parts = result.toIValueTuple();
    try {
      return parts[0].toTensor((PtNDManager) weights.get(0).getManager());
    } finally {
      for (IValue part : parts) {
        part.close();
      }
    }
  }

  /** Each weight's element count (shapes are cached by DJL: no native call after the first). */
  private static long[] counts(List<NDArray> weights) {
    long[] out = new long[weights.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = weights.get(i).size();
    }
    return out;
  }

  /**
   * The boundaries {@code 0, ..., n} of the module's flat passes: consecutive weights of one
   * dtype and at most {@value #PASS_ELEMENTS} elements together (a larger weight alone). A pass's
   * flat copies are transient, so bounding it bounds the step's extra memory whatever the model's
   * size; computed here so that the module runs no per-parameter loop for it.
   */
  static long[] runs(List<NDArray> weights) {
    List<Long> cuts = new java.util.ArrayList<>();
    cuts.add(0L);
    int start = 0;
    long size = 0;
    for (int i = 0; i < weights.size(); i++) {
      NDArray w = weights.get(i);
      if (i > start && (size + w.size() > PASS_ELEMENTS
          || w.getDataType() != weights.get(start).getDataType())) {
        cuts.add((long) i);
        start = i;
        size = 0;
      }
      size += w.size();
    }
    if (!weights.isEmpty()) {
      cuts.add((long) weights.size());
    }
    return cuts.stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * {@code grads} as the module's methods take them: all null becomes the empty list (each
   * weight's own gradient), a null among given ones an empty array in {@code manager} (that
   * weight's own; close the manager after the call).
   */
  static List<NDArray> givenOrOwn(List<NDArray> grads, NDManager manager) {
    if (grads.stream().allMatch(Objects::isNull)) {
      return List.of();
    }
    if (grads.stream().noneMatch(Objects::isNull)) {
      return grads;
    }
    NDArray own = manager.create(new Shape(0));
    List<NDArray> out = new ArrayList<>(grads.size());
    for (NDArray g : grads) {
      out.add(g == null ? own : g);
    }
    return out;
  }

  private static IValue list(List<NDArray> arrays) {
    PtNDArray[] out = new PtNDArray[arrays.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (PtNDArray) arrays.get(i);
    }
    return IValue.listFrom(out);
  }
}
