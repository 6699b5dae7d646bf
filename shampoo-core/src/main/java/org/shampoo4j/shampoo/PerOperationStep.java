package org.shampoo4j.shampoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;

/**
 * A parameter's Shampoo step with one DJL operation at a time, block by block through each
 * {@link org.shampoo4j.shampoo.representation.Preconditioner}: the reference that {@link
 * StepKernels} and the bank reproduce bit for bit, and the path for engines without TorchScript.
 */
final class PerOperationStep {
  private final ShampooConfig config;

  PerOperationStep(ShampooConfig config) {
    this.config = config;
  }

  /**
   * The direction of a preconditioned parameter from its gradient {@code g}, refreshing the
   * statistics ({@code stats}, T1) and roots ({@code roots}, T2) of every block first.
   */
  NDArray direction(ParameterState s, NDArray g, boolean stats, boolean roots,
      NDManager scratch) {
    DataType type = g.getDataType();
    NDArray m = g.toType(DataType.FLOAT32, false).reshape(s.layout.matrixShape());
    NDArray[] parts = new NDArray[s.blocks.size()];
    boolean preconditioned = false;
    for (BlockState bs : s.blocks) {
      parts[bs.block.index()] = blockDirection(bs, block(s, m, bs.block), stats, roots, scratch);
      preconditioned |= bs.hasRoot;
    }
    NDArray p = parts.length == 1 ? parts[0] : assemble(s.layout, parts);
    if (preconditioned && config.grafting() == Grafting.PER_TENSOR) {
      p = Grafting.rescale(p, m);
    }
    return p.reshape(s.shape).toType(type, false);
  }

  /** One block's step: statistics at T1, roots at T2, then its (per-block grafted) direction. */
  NDArray blockDirection(BlockState bs, NDArray gb, boolean stats, boolean roots,
      NDManager scratch) {
    refresh(bs, gb, stats, roots);
    return bs.hasRoot ? direction(bs, gb, scratch) : gb;
  }

  /** Block b of a matrix view (the view itself when the layout has one block). */
  static NDArray block(ParameterState s, NDArray matrix, BlockLayout.Block b) {
    return s.blocks.size() == 1 ? matrix
        : matrix.get(new NDIndex("{}:{}, {}:{}", b.rowStart(), b.rowEnd(), b.colStart(),
            b.colEnd()));
  }

  /** The blocks' matrices put back together in the layout's row-major block order. */
  static NDArray assemble(BlockLayout layout, NDArray[] parts) {
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

  /** A block's statistics at T1 (from its gradient block {@code gb}) and roots at T2. */
  private void refresh(BlockState bs, NDArray gb, boolean stats, boolean roots) {
    // A rejected update keeps that preconditioner's previous state (see BlockHealth).
    if (stats) {
      NDArray gt = gb.transpose();
      bs.health.attempt(() -> bs.left.accumulate(gb.matMul(gt)));
      bs.health.attempt(() -> bs.right.accumulate(gt.matMul(gb)));
      bs.health.finishEvent(Kind.STATISTIC, config.maxConsecutiveFailures());
    }
    if (roots) {
      boolean left = bs.health.attempt(bs.left::refreshInverseRoot);
      boolean right = bs.health.attempt(bs.right::refreshInverseRoot);
      bs.hasRoot |= left || right;
      bs.health.finishEvent(Kind.ROOT, config.maxConsecutiveFailures());
    }
  }

  private NDArray direction(BlockState bs, NDArray gb, NDManager scratch) {
    NDArray lh = bs.left.inverseRoot(scratch);
    NDArray rh = bs.right.inverseRoot(scratch);
    NDArray p = lh.matMul(gb).matMul(rh);
    return config.grafting() == Grafting.PER_BLOCK ? Grafting.rescale(p, gb) : p;
  }
}
