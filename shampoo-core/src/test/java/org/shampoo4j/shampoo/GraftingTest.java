package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;

/**
 * Grafting scopes and the official matrix view (size-1 dimensions dropped), checked step by step
 * against an independent double-precision host reference of 32-bit Shampoo written with EJML.
 */
class GraftingTest {
  private static final float BETA = 0.95f;
  private static final float EPS = 1e-6f;
  private static final int T1 = 1;
  private static final int T2 = 3;
  private static final int MAX_ORDER = 4;
  private static final int STEPS = 10;
  /** fp32 steps on blocks of order <= 4 against double: measured about 2e-7; 50x headroom. */
  private static final double TOLERANCE = 1e-5;

  /**
   * A (1, 8, 1, 2, 3) parameter is an 8 × 6 matrix, cut by max order 4 into 2 × 2 blocks of
   * different sizes and scales: each step's direction matches the host reference for every
   * grafting scope, and the scopes differ from one another by far more than the tolerance.
   */
  @Test
  void everyScopeMatchesTheHostReference() {
    Shape shape = new Shape(1, 8, 1, 2, 3);
    List<double[]> gradients = gradients(shape, 8, STEPS, new Random(11));
    double[][] tensor = compare(shape, gradients, Grafting.PER_TENSOR);
    double[][] block = compare(shape, gradients, Grafting.PER_BLOCK);
    double[][] off = compare(shape, gradients, Grafting.OFF);
    double tensorVsBlock = 0;
    double tensorVsOff = 0;
    for (int s = T2 - 1; s < STEPS; s++) {
      tensorVsBlock = Math.max(tensorVsBlock, relative(tensor[s], block[s]));
      tensorVsOff = Math.max(tensorVsOff, relative(tensor[s], off[s]));
    }
    System.out.printf("per tensor vs per block: %.3g, per tensor vs off: %.3g (relative)%n",
        tensorVsBlock, tensorVsOff);
    assertTrue(tensorVsBlock > 100 * TOLERANCE, "the scopes must differ on this problem");
    assertTrue(tensorVsOff > 100 * TOLERANCE, "grafting must change the step on this problem");
  }

  /** Per tensor, the step's norm is the gradient's norm once a root exists (here: T2 = 1). */
  @Test
  void perTensorKeepsTheWholeGradientNorm() {
    Shape shape = new Shape(6, 1, 9);
    List<double[]> gradients = gradients(shape, 6, 4, new Random(12));
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = optimizer(Grafting.PER_TENSOR, 1)) {
      for (double[] g : gradients) {
        double[] p = step(m, opt, shape, g);
        assertEquals(norm(g), norm(p), 1e-5 * norm(g));
      }
      assertEquals(6, opt.layout("w").orElseThrow().blockCount(), "6 x 9 in blocks of 4");
    }
  }

  @Test
  void configRejectsAMissingScope() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ShampooConfig.builder().grafting(null).build());
    assertTrue(e.getMessage().contains("grafting"), e.getMessage());
    assertEquals(Grafting.PER_TENSOR, ShampooConfig.builder().build().grafting());
  }

  private static double[][] compare(Shape shape, List<double[]> gradients, Grafting grafting) {
    HostShampoo host = new HostShampoo(shape, grafting);
    double[][] steps = new double[gradients.size()][];
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt = optimizer(grafting, T2)) {
      double worst = 0;
      for (int s = 0; s < gradients.size(); s++) {
        double[] device = step(m, opt, shape, gradients.get(s));
        steps[s] = host.direction(gradients.get(s));
        worst = Math.max(worst, relative(device, steps[s]));
      }
      System.out.printf("%s: worst relative step error vs host reference %.3g%n", grafting, worst);
      assertTrue(worst < TOLERANCE, grafting + ": step differs from the host reference by "
          + worst);
      BlockLayout layout = opt.layout("w").orElseThrow();
      assertEquals(8, layout.rows());
      assertEquals(6, layout.cols());
      assertEquals(4, layout.blockCount());
    }
    return steps;
  }

  /** With plain SGD, lr 1 and a zero weight, the updated weight is −P. */
  private static double[] step(NDManager m, ShampooOptimizer opt, Shape shape, double[] g) {
    NDArray w = m.zeros(shape);
    float[] gf = new float[g.length];
    for (int i = 0; i < g.length; i++) {
      gf[i] = (float) g[i];
    }
    opt.update("w", w, m.create(gf, shape));
    assertEquals(shape, w.getShape());
    float[] v = w.toFloatArray();
    double[] p = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      p[i] = -v[i];
    }
    return p;
  }

  private static ShampooOptimizer optimizer(Grafting grafting, int rootInterval) {
    ShampooConfig config = ShampooConfig.builder().learningRate(1f).beta(BETA).epsilon(EPS)
        .statisticsInterval(T1).rootInterval(rootInterval).maxOrder(MAX_ORDER)
        .rootMethod(RootMethod.EIGH).grafting(grafting)
        .baseOptimizer(SgdMomentum.builder().momentum(0f).settings()).build();
    return ShampooOptimizer.builder().config(config)
        .representation(new FullMatrixRepresentation()).build();
  }

  /** Gaussian gradients whose rows grow in scale, so the blocks' norms and spectra differ. */
  private static List<double[]> gradients(Shape shape, int rows, int steps, Random random) {
    int size = Math.toIntExact(shape.size());
    int cols = size / rows;
    List<double[]> out = new ArrayList<>();
    for (int s = 0; s < steps; s++) {
      double[] g = new double[size];
      for (int i = 0; i < size; i++) {
        g[i] = random.nextGaussian() * (1 + 2 * (i / cols)) * (1 + (i % cols) % 3);
      }
      out.add(g);
    }
    return out;
  }

  private static double norm(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v * v;
    }
    return Math.sqrt(s);
  }

  private static double relative(double[] a, double[] reference) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d += (a[i] - reference[i]) * (a[i] - reference[i]);
    }
    return Math.sqrt(d) / norm(reference);
  }

  /**
   * 32-bit Shampoo in double precision (docs/algorithms.md §1), written independently of the optimizer: the
   * official matrix view, greedy blocks, statistics from eps·I, roots {@code (S + eps·λmax)^(−1/4)}
   * by EJML's symmetric eigendecomposition, and the grafting scope under test.
   */
  private static final class HostShampoo {
    private final int rows;
    private final int cols;
    private final Grafting grafting;
    private final int[] rowCuts;
    private final int[] colCuts;
    private final DMatrixRMaj[] left;
    private final DMatrixRMaj[] right;
    private final DMatrixRMaj[] leftRoot;
    private final DMatrixRMaj[] rightRoot;
    private int step;

    HostShampoo(Shape shape, Grafting grafting) {
      long[] kept = Arrays.stream(shape.getShape()).filter(d -> d != 1).toArray();
      this.rows = (int) kept[0];
      this.cols = Math.toIntExact(shape.size() / rows);
      this.grafting = grafting;
      this.rowCuts = cuts(rows);
      this.colCuts = cuts(cols);
      int blocks = (rowCuts.length - 1) * (colCuts.length - 1);
      left = new DMatrixRMaj[blocks];
      right = new DMatrixRMaj[blocks];
      leftRoot = new DMatrixRMaj[blocks];
      rightRoot = new DMatrixRMaj[blocks];
      int k = 0;
      for (int i = 0; i + 1 < rowCuts.length; i++) {
        for (int j = 0; j + 1 < colCuts.length; j++) {
          int r = rowCuts[i + 1] - rowCuts[i];
          int c = colCuts[j + 1] - colCuts[j];
          left[k] = identity(r, EPS);
          right[k] = identity(c, EPS);
          k++;
        }
      }
    }

    /** The direction P handed to the base optimizer for gradient g (row-major, W's shape). */
    double[] direction(double[] g) {
      step++;
      DMatrixRMaj gm = DMatrixRMaj.wrap(rows, cols, g.clone());
      DMatrixRMaj p = new DMatrixRMaj(rows, cols);
      boolean preconditioned = false;
      int k = 0;
      for (int i = 0; i + 1 < rowCuts.length; i++) {
        for (int j = 0; j + 1 < colCuts.length; j++, k++) {
          DMatrixRMaj gb = CommonOps_DDRM.extract(gm, rowCuts[i], rowCuts[i + 1], colCuts[j],
              colCuts[j + 1]);
          if (step % T1 == 0) {
            accumulate(left[k], gb, false);
            accumulate(right[k], gb, true);
          }
          if (step % T2 == 0) {
            leftRoot[k] = inverseFourthRoot(left[k]);
            rightRoot[k] = inverseFourthRoot(right[k]);
          }
          DMatrixRMaj pb = gb;
          if (leftRoot[k] != null) {
            preconditioned = true;
            DMatrixRMaj lg = new DMatrixRMaj(gb.numRows, gb.numCols);
            CommonOps_DDRM.mult(leftRoot[k], gb, lg);
            pb = new DMatrixRMaj(gb.numRows, gb.numCols);
            CommonOps_DDRM.mult(lg, rightRoot[k], pb);
            if (grafting == Grafting.PER_BLOCK) {
              CommonOps_DDRM.scale(NormOps_DDRM.normF(gb) / (NormOps_DDRM.normF(pb) + 1e-12), pb);
            }
          }
          CommonOps_DDRM.insert(pb, p, rowCuts[i], colCuts[j]);
        }
      }
      if (preconditioned && grafting == Grafting.PER_TENSOR) {
        CommonOps_DDRM.scale(NormOps_DDRM.normF(gm) / (NormOps_DDRM.normF(p) + 1e-12), p);
      }
      return p.getData();
    }

    private static void accumulate(DMatrixRMaj statistic, DMatrixRMaj gb, boolean transposeFirst) {
      int n = statistic.numRows;
      DMatrixRMaj gram = new DMatrixRMaj(n, n);
      if (transposeFirst) {
        CommonOps_DDRM.multTransA(gb, gb, gram);
      } else {
        CommonOps_DDRM.multTransB(gb, gb, gram);
      }
      CommonOps_DDRM.add(BETA, statistic, 1 - BETA, gram, statistic);
    }

    private static DMatrixRMaj inverseFourthRoot(DMatrixRMaj s) {
      int n = s.numRows;
      EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
      if (!eig.decompose(s.copy())) {
        throw new IllegalStateException("EJML eig failed");
      }
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < n; k++) {
        max = Math.max(max, eig.getEigenvalue(k).real);
      }
      DMatrixRMaj root = new DMatrixRMaj(n, n);
      for (int k = 0; k < n; k++) {
        DMatrixRMaj u = eig.getEigenVector(k);
        CommonOps_DDRM.divide(u, NormOps_DDRM.normF(u));
        double w = Math.pow(eig.getEigenvalue(k).real + EPS * max, -0.25);
        for (int a = 0; a < n; a++) {
          for (int b = 0; b < n; b++) {
            root.add(a, b, w * u.get(a) * u.get(b));
          }
        }
      }
      return root;
    }

    private static DMatrixRMaj identity(int n, double scale) {
      DMatrixRMaj m = CommonOps_DDRM.identity(n);
      CommonOps_DDRM.scale(scale, m);
      return m;
    }

    private static int[] cuts(int n) {
      int count = (n + MAX_ORDER - 1) / MAX_ORDER;
      int[] c = new int[count + 1];
      for (int i = 0; i < count; i++) {
        c[i] = i * MAX_ORDER;
      }
      c[count] = n;
      return c;
    }
  }
}
