package org.shampoo4j.shampoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.util.List;
import org.shampoo4j.quant.Layout;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.TorchScriptModules;
import org.shampoo4j.shampoo.representation.StepRoot;

/**
 * The per-parameter part of a Shampoo step as one call into a TorchScript module (the classpath
 * resource {@value #MODULE_RESOURCE}, made by {@code shampoo-core/scripts/make_step_module.py}):
 * the gradient viewed as a matrix and cut into blocks, {@code Pb = L̂b·Gb·R̂b} for every block
 * that has its roots, the blocks put back together, grafting ({@link Grafting}), and the result
 * in the gradient's shape and type. The module repeats the DJL path's operators one for one, so
 * the direction is bit for bit the one the per-operation path computes; it saves the host the
 * JNI calls (and, for scalar operands, device allocations) that path makes per parameter and
 * block, which is what limits a step on a GPU. The roots come as stored ({@link StepRoot}):
 * fp32 roots read in place, packed 4-bit roots decoded inside the call, all roots of one order
 * together, with quant-api's decode arithmetic (the script imports it from quant-api's script).
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
   * grad}'s shape and type, reading the roots as stored: blocks of one shape form a class whose
   * roots are decoded together (all 4-bit roots of one order in one batched pass inside the
   * module), then {@code Pb = L̂b·Gb·R̂b} per block. Bit for bit the per-operation path's
   * result: the module repeats the quantizer's element-wise decode, and keeps one matmul per
   * block (libtorch's batched matmul rounds differently on small blocks).
   *
   * @param grad the prepared gradient (any floating type; viewed as {@code layout}'s matrix)
   * @param roots for block k, {@code roots[2k] = L̂k} and {@code roots[2k+1] = R̂k}; for a
   *     block without roots any root (not read)
   * @param layout the parameter's blocks
   * @param hasRoot per block, whether its roots exist
   * @param grafting how the direction is rescaled
   * @throws IllegalArgumentException if packed roots use different codebooks, bit widths or
   *     block sizes
   */
  NDArray bankedDirection(NDArray grad, List<StepRoot> roots, BlockLayout layout,
      boolean[] hasRoot, Grafting grafting) {
    int n = roots.size();
    PtNDArray g = (PtNDArray) grad;
    PtNDArray[] dense = new PtNDArray[n];
    PtNDArray[] codes = new PtNDArray[n];
    PtNDArray[] scales = new PtNDArray[n];
    PtNDArray[] diagonals = new PtNDArray[n];
    long[] kinds = new long[n];
    long[] counts = new long[n];
    long[] rowLengths = new long[n];
    PackedNDArray first = null;
    PtNDArray values = g;
    for (int i = 0; i < n; i++) {
      dense[i] = g;
      codes[i] = g;
      scales[i] = g;
      diagonals[i] = g;
      if (roots.get(i) instanceof StepRoot.Dense d) {
        kinds[i] = ROOT_DENSE;
        dense[i] = (PtNDArray) d.matrix();
        continue;
      }
      StepRoot.Packed p = (StepRoot.Packed) roots.get(i);
      PackedNDArray packed = p.packed();
      counts[i] = packed.elementCount();
      rowLengths[i] = packed.grid().rowLength();
      diagonals[i] = (PtNDArray) packed.fp32();
      if (packed.layout() == Layout.FP32) {
        kinds[i] = ROOT_FP32;
        continue;
      }
      if (first == null) {
        first = packed;
        values = (PtNDArray) p.codebookValues();
      } else if (!first.codebookId().equals(packed.codebookId())
          || first.bits() != packed.bits() || first.blockSize() != packed.blockSize()) {
        throw new IllegalArgumentException("the packed roots of one parameter must share codebook,"
            + " bits and block size; got " + first + " and " + packed);
      }
      kinds[i] = ROOT_PACKED;
      codes[i] = (PtNDArray) packed.codes();
      scales[i] = (PtNDArray) packed.scales();
    }
    long blockSize = first == null ? 1 : first.blockSize();
    long bits = first == null ? 4 : first.bits();
    try (IValue gradValue = IValue.from(g);
        IValue rowCuts = IValue.listFrom(longs(layout.rowCuts()));
        IValue colCuts = IValue.listFrom(longs(layout.colCuts()));
        IValue rootFlags = IValue.listFrom(hasRoot);
        IValue scope = IValue.from(code(grafting));
        IValue floor = IValue.from((double) Grafting.NORM_FLOOR);
        IValue kindValues = IValue.listFrom(kinds);
        IValue denseValues = IValue.listFrom(dense);
        IValue codeValues = IValue.listFrom(codes);
        IValue scaleValues = IValue.listFrom(scales);
        IValue diagonalValues = IValue.listFrom(diagonals);
        IValue countValues = IValue.listFrom(counts);
        IValue rowLengthValues = IValue.listFrom(rowLengths);
        IValue codebook = IValue.from(values);
        IValue blockSizeValue = IValue.from(blockSize);
        IValue bitsValue = IValue.from(bits);
        IValue result = TorchScriptModules.run(module, "banked_direction",
            gradValue, rowCuts, colCuts, rootFlags, scope, floor, kindValues, denseValues,
            codeValues, scaleValues, diagonalValues, countValues, rowLengthValues, codebook,
            blockSizeValue, bitsValue)) {
      return result.toTensor(g.getManager());
    }
  }

  /** Frees the native module (idempotent). */
  @Override
  public void close() {
    module.close();
  }

  // Root kinds of the script's banked_direction.
  private static final long ROOT_DENSE = 0;
  private static final long ROOT_PACKED = 1;
  private static final long ROOT_FP32 = 2;

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
