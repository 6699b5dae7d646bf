package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;

/** The block layout and the blocked step. */
class BlockingTest {

  @Property(tries = 100, seed = "42")
  void layoutCoversTheMatrixWithBlocksOfAtMostMaxOrder(
      @ForAll @IntRange(min = 1, max = 300) int rows,
      @ForAll @IntRange(min = 1, max = 300) int cols,
      @ForAll @IntRange(min = 1, max = 120) int maxOrder) {
    var layout = BlockLayout.of(new Shape(rows, cols), maxOrder, 2);
    if (rows < 2 || cols < 2) {
      assertTrue(layout.isEmpty(), "a dimension of 1 leaves a vector: base optimizer only");
      return;
    }
    BlockLayout l = layout.orElseThrow();
    long area = 0;
    for (BlockLayout.Block b : l.blocks()) {
      assertTrue(b.rows() >= 1 && b.rows() <= maxOrder);
      assertTrue(b.cols() >= 1 && b.cols() <= maxOrder);
      area += (long) b.rows() * b.cols();
    }
    assertEquals((long) rows * cols, area, "blocks tile the matrix exactly");
    assertEquals((rows + maxOrder - 1) / maxOrder, l.rowBlocks());
    assertEquals((cols + maxOrder - 1) / maxOrder, l.colBlocks());
    assertEquals(0, l.rowCuts().get(0));
    assertEquals(rows, l.rowCuts().get(l.rowBlocks()));
  }

  @Test
  void layoutRules() {
    assertTrue(BlockLayout.of(new Shape(7), 1200, 2).isEmpty(), "rank 1 is never preconditioned");
    assertTrue(BlockLayout.of(new Shape(), 1200, 2).isEmpty(), "rank 0 is never preconditioned");
    BlockLayout conv = BlockLayout.of(new Shape(8, 3, 3, 3), 1200, 2).orElseThrow();
    assertEquals(8, conv.rows());
    assertEquals(27, conv.cols());
    BlockLayout big = BlockLayout.of(new Shape(2500, 10), 1200, 2).orElseThrow();
    assertEquals(List.of(0, 1200, 2400, 2500), big.rowCuts());
    assertEquals(List.of(0, 10), big.colCuts());
    assertTrue(BlockLayout.of(new Shape(3, 40), 1200, 4).isEmpty(), "3 < min dimension 4");
  }

  /** Size-1 dimensions are dropped before the (shape[0], rest) view, as the official code does. */
  @Test
  void sizeOneDimensionsAreDropped() {
    BlockLayout kernel = BlockLayout.of(new Shape(1, 64, 3, 3), 1200, 2).orElseThrow();
    assertEquals(64, kernel.rows());
    assertEquals(9, kernel.cols());
    BlockLayout inner = BlockLayout.of(new Shape(5, 1, 7, 1), 1200, 2).orElseThrow();
    assertEquals(5, inner.rows());
    assertEquals(7, inner.cols());
    for (Shape vector : new Shape[] {new Shape(1, 9), new Shape(9, 1), new Shape(1, 1, 4, 1),
        new Shape(1, 1)}) {
      assertTrue(BlockLayout.of(vector, 1200, 2).isEmpty(), vector + " is a vector or scalar");
    }
    assertTrue(BlockLayout.of(new Shape(0, 5), 1200, 2).isEmpty(), "an empty tensor");
  }

  /** maxOrder 10 covers a 6×10 parameter: same layout and bit-identical steps as maxOrder 1200. */
  @Test
  void blockedEqualsUnblockedWhenMaxOrderCovers() {
    float[] a = run(10, 6, 10, 12, Grafting.PER_TENSOR);
    float[] b = run(1200, 6, 10, 12, Grafting.PER_TENSOR);
    assertArrayEquals(b, a, 0f);
  }

  /**
   * With maxOrder 4 a 6×10 parameter becomes 2×3 blocks; each block must move exactly as if it
   * were its own parameter preconditioned without blocking (with grafting per block; the base is
   * element-wise).
   */
  @Test
  void blockingSplitsIntoIndependentBlocks() {
    int rows = 6;
    int cols = 10;
    int steps = 12;
    float[] blocked = run(4, rows, cols, steps, Grafting.PER_BLOCK);
    float[] expected = new float[rows * cols];
    int[][] rowRanges = {{0, 4}, {4, 6}};
    int[][] colRanges = {{0, 4}, {4, 8}, {8, 10}};
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = optimizer(1200, Grafting.PER_BLOCK)) {
      NDArray[] w = new NDArray[6];
      int k = 0;
      for (int[] r : rowRanges) {
        for (int[] c : colRanges) {
          w[k++] = initial(m, rows, cols).get(new NDIndex("{}:{}, {}:{}", r[0], r[1], c[0], c[1]))
              .duplicate();
        }
      }
      Random random = new Random(5);
      for (int s = 0; s < steps; s++) {
        NDArray g = gradient(m, rows, cols, random);
        k = 0;
        for (int[] r : rowRanges) {
          for (int[] c : colRanges) {
            NDArray gb = g.get(new NDIndex("{}:{}, {}:{}", r[0], r[1], c[0], c[1])).duplicate();
            opt.update("block" + k, w[k], gb);
            k++;
          }
        }
      }
      k = 0;
      for (int[] r : rowRanges) {
        for (int[] c : colRanges) {
          float[] v = w[k++].toFloatArray();
          int bc = c[1] - c[0];
          for (int i = 0; i < r[1] - r[0]; i++) {
            for (int j = 0; j < bc; j++) {
              expected[(r[0] + i) * cols + c[0] + j] = v[i * bc + j];
            }
          }
        }
      }
      assertEquals(1, opt.layout("block0").orElseThrow().blockCount());
    }
    float worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - blocked[i]));
    }
    System.out.printf("blocked (maxOrder 4, 2x3 blocks) vs per-block reference: max |diff| %.3g%n",
        worst);
    assertTrue(worst < 1e-5f, "blocked step differs from per-block reference by " + worst);
  }

  /** A rank-3 parameter is preconditioned as (shape[0], rest) and keeps its shape. */
  @Test
  void higherRankIsReshaped() {
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = optimizer(1200, Grafting.PER_TENSOR)) {
      NDArray w = m.randomNormal(new Shape(4, 3, 5));
      Random random = new Random(9);
      for (int s = 0; s < 12; s++) {
        float[] g = new float[60];
        for (int i = 0; i < g.length; i++) {
          g[i] = (float) random.nextGaussian();
        }
        opt.update("conv", w, m.create(g, new Shape(4, 3, 5)));
      }
      assertEquals(new Shape(4, 3, 5), w.getShape());
      BlockLayout l = opt.layout("conv").orElseThrow();
      assertEquals(4, l.rows());
      assertEquals(15, l.cols());
      assertEquals(4, opt.preconditioner("conv", 0, true).order());
      assertEquals(15, opt.preconditioner("conv", 0, false).order());
      assertFalse(opt.memoryReport().parameters().isEmpty());
    }
  }

  private static ShampooOptimizer optimizer(int maxOrder, Grafting grafting) {
    ShampooConfig config = ShampooConfig.builder().learningRate(0.1f)
        .baseOptimizer(SgdMomentum.builder().momentum(0.5f).settings())
        .statisticsInterval(1).rootInterval(3).maxOrder(maxOrder)
        .rootMethod(RootMethod.EIGH).grafting(grafting).build();
    return ShampooOptimizer.builder().config(config)
        .representation(new FullMatrixRepresentation()).build();
  }

  private static NDArray initial(NDManager m, int rows, int cols) {
    Random random = new Random(3);
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return m.create(v, new Shape(rows, cols));
  }

  private static NDArray gradient(NDManager m, int rows, int cols, Random random) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      // Different scales per row make the blocks' statistics differ.
      v[i] = (float) (random.nextGaussian() * (1 + i / cols));
    }
    return m.create(v, new Shape(rows, cols));
  }

  private static float[] run(int maxOrder, int rows, int cols, int steps, Grafting grafting) {
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = optimizer(maxOrder, grafting)) {
      NDArray w = initial(m, rows, cols);
      Random random = new Random(5);
      for (int s = 0; s < steps; s++) {
        opt.update("w", w, gradient(m, rows, cols, random));
      }
      BlockLayout l = opt.layout("w").orElseThrow();
      System.out.printf("maxOrder %d: %d x %d blocks, rows %s, cols %s%n", maxOrder,
          l.rowBlocks(), l.colBlocks(), l.rowCuts(), l.colCuts());
      return w.toFloatArray();
    }
  }
}
