package org.shampoo4j.shampoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.util.List;
import org.shampoo4j.quant.TorchScriptModules;

/**
 * The per-parameter part of a Shampoo step as one call into a TorchScript module (the classpath
 * resource {@value #MODULE_RESOURCE}, made by {@code shampoo-core/scripts/make_step_module.py}):
 * the gradient viewed as a matrix and cut into blocks, {@code Pb = L̂b·Gb·R̂b} for every block
 * that has its roots, the blocks put back together, grafting ({@link Grafting}), and the result
 * in the gradient's shape and type. The module repeats the DJL path's operators one for one, so
 * the direction is bit for bit the one the per-operation path computes; it saves the host the
 * JNI calls (and, for scalar operands, device allocations) that path makes per parameter and
 * block, which is what limits a step on a GPU. The roots come in dense: fp32 roots as stored,
 * 4-bit roots from quant-api's fused dequantization.
 *
 * <p>The module holds no tensors and names no device; one instance serves arrays on any device.
 * Close it (or the manager given to the constructor) to free the native module.
 */
final class StepKernels implements AutoCloseable {
  /** Classpath resource (relative to this class) holding the scripted module. */
  static final String MODULE_RESOURCE = "step.pt";

  private final PtSymbolBlock module;

  /**
   * Loads the module.
   *
   * @param manager a PyTorch-engine manager that owns the loaded module
   * @throws IllegalArgumentException if the manager is not of DJL's PyTorch engine
   * @throws IllegalStateException if the module resource is missing from the classpath
   */
  StepKernels(NDManager manager) {
    if (!(manager instanceof PtNDManager pt)) {
      throw new IllegalArgumentException("the fused Shampoo step needs DJL's PyTorch engine, got "
          + manager.getEngine().getEngineName());
    }
    this.module = TorchScriptModules.load(pt, StepKernels.class, MODULE_RESOURCE);
  }

  /**
   * The grafted direction of one parameter, a new array in {@code grad}'s manager with {@code
   * grad}'s shape and type.
   *
   * @param grad the prepared gradient (any floating type; viewed as {@code layout}'s matrix)
   * @param roots for block k in {@link BlockLayout#blocks()} order, {@code roots[2k] = L̂k} and
   *     {@code roots[2k+1] = R̂k} (float32); for a block without roots any array (not read)
   * @param layout the parameter's blocks
   * @param hasRoot per block, whether its roots exist (otherwise its direction is its gradient)
   * @param grafting how the direction is rescaled
   */
  NDArray direction(NDArray grad, List<NDArray> roots, BlockLayout layout, boolean[] hasRoot,
      Grafting grafting) {
    PtNDArray[] rootArray = new PtNDArray[roots.size()];
    for (int i = 0; i < rootArray.length; i++) {
      rootArray[i] = (PtNDArray) roots.get(i);
    }
    PtNDArray g = (PtNDArray) grad;
    try (IValue gradValue = IValue.from(g);
        IValue rootValues = IValue.listFrom(rootArray);
        IValue rowCuts = IValue.listFrom(longs(layout.rowCuts()));
        IValue colCuts = IValue.listFrom(longs(layout.colCuts()));
        IValue rootFlags = IValue.listFrom(hasRoot);
        IValue scope = IValue.from(code(grafting));
        IValue floor = IValue.from((double) Grafting.NORM_FLOOR);
        IValue result = TorchScriptModules.run(module, "direction",
            gradValue, rootValues, rowCuts, colCuts, rootFlags, scope, floor)) {
      return result.toTensor(g.getManager());
    }
  }

  /** Frees the native module (idempotent). */
  @Override
  public void close() {
    module.close();
  }

  /** The grafting codes of the script (not the enum's ordinals, which may change). */
  private static long code(Grafting grafting) {
    return switch (grafting) {
      case OFF -> 0;
      case PER_TENSOR -> 1;
      case PER_BLOCK -> 2;
    };
  }

  private static long[] longs(List<Integer> values) {
    long[] out = new long[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
