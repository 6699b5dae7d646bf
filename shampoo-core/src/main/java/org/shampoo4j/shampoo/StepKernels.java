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
    PtNDArray g = (PtNDArray) grad;
    RootInputs r = RootInputs.of(roots, g);
    try (IValue gradValue = IValue.from(g);
        IValue rowCuts = IValue.listFrom(longs(layout.rowCuts()));
        IValue colCuts = IValue.listFrom(longs(layout.colCuts()));
        IValue rootFlags = IValue.listFrom(hasRoot);
        IValue scope = IValue.from(code(grafting));
        IValue floor = IValue.from((double) Grafting.NORM_FLOOR);
        RootValues values = r.values();
        IValue result = TorchScriptModules.run(module, "banked_direction",
            gradValue, rowCuts, colCuts, rootFlags, scope, floor, values.kinds, values.dense,
            values.codes, values.scales, values.diagonals, values.counts, values.rowLengths,
            values.codebook, values.blockSize, values.bits)) {
      return result.toTensor(g.getManager());
    }
  }

  /**
   * The grafted directions of several preconditioned parameters in one call, each a new array in
   * {@code manager} with its gradient's shape and type: the blocks of all parameters stacked per
   * class of {@code plan} (one batched decode of the class's 4-bit roots and two batched matmuls
   * per class), per-tensor grafting from per-block squared norms. Equals {@link
   * #bankedDirection} of each parameter within float32 rounding, not bit for bit: the batched
   * matmul and the blockwise norm sums round differently.
   *
   * @param grads the prepared gradients (or the weights, for their own), in the plan's parameter
   *     order, on one device
   * @param plan the stacking of their blocks
   * @param indices the plan's index arrays on the gradients' device ({@link PlanIndices})
   * @param roots for global block b (the plan's numbering), {@code roots[2b] = L̂b} and {@code
   *     roots[2b+1] = R̂b}; for a block without roots any root (not read)
   * @param grafting how each direction is rescaled
   * @throws IllegalArgumentException if the counts disagree with the plan, or packed roots use
   *     different codebooks, bit widths or block sizes
   */
  List<NDArray> directions(Gradients grads, DirectionPlan plan, PlanIndices indices,
      List<StepRoot> roots, Grafting grafting, NDManager manager) {
    List<NDArray> arrays = grads.arrays();
    if (arrays.size() != plan.parameterCount() || roots.size() != 2 * plan.blockCount()) {
      throw new IllegalArgumentException("the plan covers " + plan.parameterCount()
          + " parameters and " + plan.blockCount() + " blocks; got " + arrays.size()
          + " gradients and " + roots.size() + " roots");
    }
    PtNDArray first = (PtNDArray) arrays.get(0);
    RootInputs r = RootInputs.of(roots, first);
    PtNDArray[] gradArrays = arrays.stream().map(PtNDArray.class::cast).toArray(PtNDArray[]::new);
    try (IValue gradValues = IValue.listFrom(gradArrays);
        IValue own = IValue.from(grads.own());
        IValue dims = IValue.listFrom(plan.dims());
        IValue blocks = IValue.listFrom(plan.blocks());
        IValue offsets = IValue.listFrom(plan.classOffsets());
        IValue members = IValue.listFrom(plan.classMembers());
        IValue rooted = IValue.listFrom(plan.classRooted());
        IValue scope = IValue.from(code(grafting));
        IValue floor = IValue.from((double) Grafting.NORM_FLOOR);
        IValue memberParams = IValue.listFrom(indices.memberParams());
        IValue paramBlocks = IValue.from(indices.paramBlocks());
        IValue maxBlocks = IValue.from((long) plan.maxBlocks());
        RootValues values = r.values();
        IValue result = TorchScriptModules.run(module, "directions", gradValues, own, dims,
            blocks, offsets, members, rooted, scope, floor, memberParams, paramBlocks, maxBlocks,
            values.kinds, values.dense, values.codes, values.scales, values.diagonals,
            values.counts, values.rowLengths, values.codebook, values.blockSize, values.bits)) {
      PtNDArray[] out = result.toTensorArray((ai.djl.pytorch.engine.PtNDManager) manager);
      return List.of(out);
    }
  }

  /**
   * The gradients of a {@link #directions} call: the arrays themselves, or ({@code own}) the
   * weights, whose own gradients the call reads without a handle per parameter.
   */
  record Gradients(List<NDArray> arrays, boolean own) {
    /** These gradients. */
    static Gradients of(List<NDArray> gradients) {
      return new Gradients(gradients, false);
    }

    /** The own gradients of these weights. */
    static Gradients ownOf(List<NDArray> weights) {
      return new Gradients(weights, true);
    }
  }

  /**
   * A plan's index arrays on one device, made once per plan: per class the parameter of each
   * member, and every parameter's block positions (int64).
   */
  record PlanIndices(PtNDArray[] memberParams, PtNDArray paramBlocks) {
    /** The plan's arrays, created in {@code manager} (a host write each; cache the result). */
    static PlanIndices of(DirectionPlan plan, NDManager manager) {
      PtNDArray[] members = new PtNDArray[plan.classCount()];
      for (int c = 0; c < members.length; c++) {
        members[c] = (PtNDArray) manager.create(plan.memberParams(c));
      }
      return new PlanIndices(members, (PtNDArray) manager.create(plan.paramBlocks()));
    }
  }

  /** The roots as the script's parallel lists; unused slots hold {@code placeholder}. */
  private record RootInputs(PtNDArray[] dense, PtNDArray[] codes, PtNDArray[] scales,
      PtNDArray[] diagonals, long[] kinds, long[] counts, long[] rowLengths, PtNDArray codebook,
      long blockSize, long bits) {

    static RootInputs of(List<StepRoot> roots, PtNDArray placeholder) {
      int n = roots.size();
      PtNDArray[] dense = new PtNDArray[n];
      PtNDArray[] codes = new PtNDArray[n];
      PtNDArray[] scales = new PtNDArray[n];
      PtNDArray[] diagonals = new PtNDArray[n];
      long[] kinds = new long[n];
      long[] counts = new long[n];
      long[] rowLengths = new long[n];
      PackedNDArray first = null;
      PtNDArray values = placeholder;
      for (int i = 0; i < n; i++) {
        dense[i] = placeholder;
        codes[i] = placeholder;
        scales[i] = placeholder;
        diagonals[i] = placeholder;
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
          throw new IllegalArgumentException("the packed roots of one step call must share"
              + " codebook, bits and block size; got " + first + " and " + packed);
        }
        kinds[i] = ROOT_PACKED;
        codes[i] = (PtNDArray) packed.codes();
        scales[i] = (PtNDArray) packed.scales();
      }
      return new RootInputs(dense, codes, scales, diagonals, kinds, counts, rowLengths, values,
          first == null ? 1 : first.blockSize(), first == null ? 4 : first.bits());
    }

    /** The lists as the script's arguments (close them after the call). */
    RootValues values() {
      return new RootValues(IValue.listFrom(kinds), IValue.listFrom(dense),
          IValue.listFrom(codes), IValue.listFrom(scales), IValue.listFrom(diagonals),
          IValue.listFrom(counts), IValue.listFrom(rowLengths), IValue.from(codebook),
          IValue.from(blockSize), IValue.from(bits));
    }
  }

  /** The root arguments of one call, closed together. */
  private record RootValues(IValue kinds, IValue dense, IValue codes, IValue scales,
      IValue diagonals, IValue counts, IValue rowLengths, IValue codebook, IValue blockSize,
      IValue bits) implements AutoCloseable {
    @Override
    public void close() {
      for (IValue v : new IValue[] {kinds, dense, codes, scales, diagonals, counts, rowLengths,
          codebook, blockSize, bits}) {
        v.close();
      }
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
