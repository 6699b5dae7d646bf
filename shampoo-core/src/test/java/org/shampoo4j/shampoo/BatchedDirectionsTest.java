package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.QuantizationSettings;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.representation.StepRoot;

/**
 * {@link StepKernels#directions} (several parameters in one call, blocks stacked per shape)
 * against {@link StepKernels#bankedDirection} of each parameter (the bit-for-bit reference of the
 * per-operation path), over parameter counts, shapes, block orders, grafting scopes, dense and
 * 4-bit packed roots and blocks without roots. The two differ only in rounding (batched against
 * single matmuls, blockwise against whole-matrix norm sums), so each element must lie within the
 * float32 error bound of that computation, derived below from the exact (float64) operands.
 */
class BatchedDirectionsTest {
  private static final double U = Math.ulp(1f) / 2; // float32 unit roundoff, 2^-24

  @Property(tries = 14, seed = "42")
  void batchedDirectionsMatchPerParameterOnesWithinFloat32Error(
      @ForAll @IntRange(min = 1, max = 4) int parameters,
      @ForAll @IntRange(min = 3, max = 24) int maxOrder,
      @ForAll @IntRange(min = 0, max = 2) int graftingIndex,
      @ForAll @IntRange(min = 0, max = 2) int rootKind,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    Grafting grafting = Grafting.values()[graftingIndex];
    Random r = new Random(seed);
    try (NDManager m = NDManager.newBaseManager(); StepKernels kernels = new StepKernels(m)) {
      NDArrayQuantizer quantizer = new NDArrayQuantizer(QuantizationSettings.builder()
          .bits(4).blockSize(8).minQuantizedElements(16).build().spec(new Linear2Map()));
      NDArray codebook = quantizer.codebookValues(m);
      List<NDArray> grads = new ArrayList<>();
      List<BlockLayout> layouts = new ArrayList<>();
      List<boolean[]> flags = new ArrayList<>();
      List<List<StepRoot>> rootsPerParameter = new ArrayList<>();
      List<List<double[][]>> exactRoots = new ArrayList<>();
      for (int p = 0; p < parameters; p++) {
        int rows = 2 + r.nextInt(30);
        int cols = 2 + r.nextInt(30);
        BlockLayout layout = BlockLayout.of(new Shape(rows, cols), maxOrder, 1).orElseThrow();
        boolean[] hasRoot = new boolean[layout.blockCount()];
        hasRoot[r.nextInt(hasRoot.length)] = true;
        for (int b = 0; b < hasRoot.length; b++) {
          hasRoot[b] |= r.nextInt(4) != 0;
        }
        List<StepRoot> roots = new ArrayList<>();
        List<double[][]> exact = new ArrayList<>();
        for (BlockLayout.Block block : layout.blocks()) {
          for (int n : new int[] {block.rows(), block.cols()}) {
            NDArray x = symmetric(m, n, r);
            boolean packed = rootKind == 1 || (rootKind == 2 && r.nextBoolean());
            if (packed && n * n >= 16) {
              PackedNDArray q = quantizer.quantizeOffDiagonal(x);
              roots.add(new StepRoot.Packed(q, codebook));
              exact.add(matrix(quantizer.dequantize(q, codebook), n, n));
            } else {
              roots.add(new StepRoot.Dense(x));
              exact.add(matrix(x, n, n));
            }
          }
        }
        grads.add(gaussian(m, rows, cols, r));
        layouts.add(layout);
        flags.add(hasRoot);
        rootsPerParameter.add(roots);
        exactRoots.add(exact);
      }
      DirectionPlan plan = new DirectionPlan(layouts, flags);
      List<StepRoot> allRoots = new ArrayList<>();
      rootsPerParameter.forEach(allRoots::addAll);
      List<NDArray> batched = kernels.directions(StepKernels.Gradients.of(grads), plan,
          StepKernels.PlanIndices.of(plan, m), allRoots, grafting, m);
      assertEquals(parameters, batched.size());
      for (int p = 0; p < parameters; p++) {
        NDArray reference = kernels.bankedDirection(grads.get(p), rootsPerParameter.get(p),
            layouts.get(p), flags.get(p), grafting);
        assertEquals(grads.get(p).getShape(), batched.get(p).getShape());
        double[][] bound = bound(matrix(grads.get(p), layouts.get(p).rows(),
            layouts.get(p).cols()), layouts.get(p), flags.get(p), exactRoots.get(p), grafting);
        float[] got = batched.get(p).toFloatArray();
        float[] want = reference.toFloatArray();
        int cols = layouts.get(p).cols();
        for (int i = 0; i < got.length; i++) {
          double diff = Math.abs((double) got[i] - want[i]);
          double allowed = bound[i / cols][i % cols];
          assertTrue(diff <= allowed, "parameter " + p + " element " + i + ": " + got[i]
              + " vs " + want[i] + " differ by " + diff + ", bound " + allowed);
        }
      }
    }
  }

  /**
   * The bound on |batched − reference| per element: each side's P = L·G·R carries at most
   * γ(r + c)·(|L|·|G|·|R|) of matmul error (γ(n) = n·u / (1 − n·u)), and each side's grafting
   * factor f = ‖G‖ / (‖P‖ + floor) a relative error of at most 2γ(N + 2) (the two sums of N
   * squares, square roots, add and divide) plus ‖E‖ / ‖P‖ from P's own error E; so two sides
   * differ by at most twice the sum of f·E and |P|·f·(relative error of f), plus the final
   * product's rounding.
   */
  private static double[][] bound(double[][] g, BlockLayout layout, boolean[] hasRoot,
      List<double[][]> roots, Grafting grafting) {
    int rows = layout.rows();
    int cols = layout.cols();
    double[][] p = new double[rows][cols];
    double[][] e = new double[rows][cols];
    boolean any = false;
    for (BlockLayout.Block b : layout.blocks()) {
      if (!hasRoot[b.index()]) {
        for (int i = b.rowStart(); i < b.rowEnd(); i++) {
          System.arraycopy(g[i], b.colStart(), p[i], b.colStart(), b.cols());
        }
        continue;
      }
      any = true;
      double[][] gb = slice(g, b);
      double[][] l = roots.get(2 * b.index());
      double[][] rt = roots.get(2 * b.index() + 1);
      double[][] pb = times(times(l, gb), rt);
      double[][] ab = times(times(abs(l), abs(gb)), abs(rt));
      double gamma = gamma(b.rows() + b.cols());
      for (int i = 0; i < b.rows(); i++) {
        for (int j = 0; j < b.cols(); j++) {
          p[b.rowStart() + i][b.colStart() + j] = pb[i][j];
          e[b.rowStart() + i][b.colStart() + j] = gamma * ab[i][j];
        }
      }
      if (grafting == Grafting.PER_BLOCK) {
        scale(p, e, g, b.rowStart(), b.rowEnd(), b.colStart(), b.colEnd());
      }
    }
    if (grafting == Grafting.PER_TENSOR && any) {
      scale(p, e, g, 0, rows, 0, cols);
    }
    double[][] out = new double[rows][cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        out[i][j] = 2 * e[i][j] + 2 * U * Math.abs(p[i][j]) + Double.MIN_NORMAL;
      }
    }
    return out;
  }

  /** Grafts p's region to g's norm in place, turning e into the grafted error bound there. */
  private static void scale(double[][] p, double[][] e, double[][] g, int r0, int r1, int c0,
      int c1) {
    double gs = 0;
    double ps = 0;
    double es = 0;
    for (int i = r0; i < r1; i++) {
      for (int j = c0; j < c1; j++) {
        gs += g[i][j] * g[i][j];
        ps += p[i][j] * p[i][j];
        es += e[i][j] * e[i][j];
      }
    }
    double pNorm = Math.sqrt(ps);
    double f = Math.sqrt(gs) / (pNorm + Grafting.NORM_FLOOR);
    double relative = 2 * gamma((r1 - r0) * (c1 - c0) + 2) + Math.sqrt(es) / pNorm;
    for (int i = r0; i < r1; i++) {
      for (int j = c0; j < c1; j++) {
        e[i][j] = f * e[i][j] + f * Math.abs(p[i][j]) * relative;
        p[i][j] *= f;
      }
    }
  }

  private static double gamma(int n) {
    return n * U / (1 - n * U);
  }

  private static NDArray symmetric(NDManager m, int n, Random r) {
    float[] v = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        float x = (float) r.nextGaussian() / n;
        v[i * n + j] = x;
        v[j * n + i] = x;
      }
      v[i * n + i] += 1f;
    }
    return m.create(v, new Shape(n, n));
  }

  private static NDArray gaussian(NDManager m, int rows, int cols, Random r) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return m.create(v, new Shape(rows, cols));
  }

  private static double[][] matrix(NDArray a, int rows, int cols) {
    float[] v = a.toFloatArray();
    double[][] out = new double[rows][cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        out[i][j] = v[i * cols + j];
      }
    }
    return out;
  }

  private static double[][] slice(double[][] g, BlockLayout.Block b) {
    double[][] out = new double[b.rows()][b.cols()];
    for (int i = 0; i < b.rows(); i++) {
      System.arraycopy(g[b.rowStart() + i], b.colStart(), out[i], 0, b.cols());
    }
    return out;
  }

  private static double[][] abs(double[][] a) {
    double[][] out = new double[a.length][a[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) {
        out[i][j] = Math.abs(a[i][j]);
      }
    }
    return out;
  }

  private static double[][] times(double[][] a, double[][] b) {
    double[][] out = new double[a.length][b[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int k = 0; k < b.length; k++) {
        double x = a[i][k];
        for (int j = 0; j < b[0].length; j++) {
          out[i][j] += x * b[k][j];
        }
      }
    }
    return out;
  }
}
