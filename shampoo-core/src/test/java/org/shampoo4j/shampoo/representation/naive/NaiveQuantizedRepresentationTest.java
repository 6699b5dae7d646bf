package org.shampoo4j.shampoo.representation.naive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shampoo4j.shampoo.representation.eigen.RepresentationFixtures.*;
import static org.shampoo4j.testing.Matrices.fromNd;
import static org.shampoo4j.testing.Matrices.toNd;
import static org.shampoo4j.testing.MatrixErrors.nre;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;
import org.shampoo4j.linalg.OfficialComputePower;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.testing.Matrices;

/** Naive 4-bit Shampoo: exact when lossless, fp32 diagonal when quantized, clear errors. */
class NaiveQuantizedRepresentationTest {
  private static final double EPS = 1e-6;

  @Test
  void losslessNaiveIsExactShampoo() {
    int n = 20;
    Random random = new Random(3);
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      PreconditionerContext ctx = context(m, f, Long.MAX_VALUE);
      DMatrixRMaj ema = CommonOps_DDRM.identity(n);
      CommonOps_DDRM.scale(EPS, ema);
      try (Preconditioner p = new NaiveQuantizedRepresentation(new Linear2Map()).create(n, ctx)) {
        try (NDManager scope = m.newSubManager()) {
          assertTrue(nre(fromNd(p.inverseRoot(scope)), CommonOps_DDRM.identity(n)) == 0,
              "inverse root starts at I");
        }
        for (int round = 1; round <= 5; round++) {
          DMatrixRMaj gram = gram(gaussian(n, 2 * n, random));
          try (NDArray g = toNd(m, gram)) {
            p.accumulate(g);
          }
          CommonOps_DDRM.add(0.95, ema, 0.05, gram, ema);
        }
        p.refreshInverseRoot();
        try (NDManager scope = m.newSubManager()) {
          double stat = nre(fromNd(p.statistic(scope)), ema);
          double root = nre(fromNd(p.inverseRoot(scope)), inverseRoot(ema, EPS, 4));
          System.out.printf("lossless naive vs exact Shampoo: statistic NRE %.2e, root NRE %.2e%n",
              stat, root);
          assertTrue(stat < 1e-5, "statistic NRE " + stat);
          assertTrue(root < 1e-4, "root NRE " + root);
        }
      }
    }
  }

  /** The diagonal is never quantized, so it follows the fp32 EMA of the grams' diagonals. */
  @Property(tries = 10, seed = "42")
  void quantizedStatisticKeepsTheExactDiagonal(
      @ForAll @IntRange(min = 64, max = 100) int n, @ForAll @IntRange(min = 0, max = 1) int map,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    Random random = new Random(seed);
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      PreconditionerContext ctx = context(m, f, 4096);
      double[] diagonal = new double[n];
      java.util.Arrays.fill(diagonal, EPS);
      try (Preconditioner p = new NaiveQuantizedRepresentation(
          map == 0 ? new Linear2Map() : new DynamicTreeMap()).create(n, ctx)) {
        for (int round = 0; round < 3; round++) {
          DMatrixRMaj gram = gram(gaussian(n, n / 2, random));
          try (NDArray g = toNd(m, gram)) {
            p.accumulate(g);
          }
          for (int i = 0; i < n; i++) {
            diagonal[i] = 0.95 * diagonal[i] + 0.05 * (float) gram.get(i, i);
          }
        }
        DMatrixRMaj s;
        try (NDManager scope = m.newSubManager()) {
          s = fromNd(p.statistic(scope));
        }
        for (int i = 0; i < n; i++) {
          assertEquals(diagonal[i], s.get(i, i), 1e-5 * diagonal[i], "S[" + i + "][" + i + "]");
        }
      }
    }
  }

  /**
   * With {@link NaiveRoot#OFFICIAL_SCHUR_NEWTON} the stored root is exactly the official iteration
   * applied to the dequantized, unsymmetrised statistic, then quantized; the default root differs.
   */
  @Test
  void officialRootIsTheOfficialIterationOnTheDequantizedStatistic() {
    int n = 80;
    Random random = new Random(8);
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      PreconditionerContext ctx = context(m, f, 4096);
      NaiveQuantizedRepresentation official =
          new NaiveQuantizedRepresentation(new Linear2Map(), NaiveRoot.OFFICIAL_SCHUR_NEWTON);
      assertEquals(NaiveRoot.OFFICIAL_SCHUR_NEWTON, official.root());
      assertEquals("naive-4bit-official-root", official.name());
      try (Preconditioner p = official.create(n, ctx);
          Preconditioner symmetrized =
              new NaiveQuantizedRepresentation(new Linear2Map()).create(n, ctx);
          NDManager scope = m.newSubManager()) {
        for (int round = 0; round < 3; round++) {
          try (NDArray g = toNd(m, gram(gaussian(n, n / 2, random)))) {
            p.accumulate(g);
            symmetrized.accumulate(g);
          }
        }
        p.refreshInverseRoot();
        symmetrized.refreshInverseRoot();
        NDArray s = p.statistic(scope);
        float asymmetry = s.sub(s.transpose()).abs().max().getFloat();
        assertTrue(asymmetry > 0, "4-bit rows make the dequantized statistic asymmetric");
        var quantizer = ctx.quantizer(new Linear2Map());
        NDArray root = new OfficialComputePower((float) EPS).inverseRoot(s, 4);
        NDArray expected = quantizer.dequantize(quantizer.quantizeOffDiagonal(root));
        assertArrayEquals(expected.toFloatArray(), p.inverseRoot(scope).toFloatArray(), 0f);
        double apart = nre(fromNd(symmetrized.inverseRoot(scope)), fromNd(expected));
        System.out.printf("naive roots, n=%d: asymmetry %.2e, official vs symmetrised NRE %.3f%n",
            n, asymmetry, apart);
        assertTrue(apart > 1e-3, "the two root styles must differ here, NRE " + apart);
      }
    }
  }

  @Test
  void rejectsBadInputAndUseAfterClose() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      PreconditionerContext ctx = context(m, f, 4096);
      NaiveQuantizedRepresentation representation =
          new NaiveQuantizedRepresentation(new Linear2Map());
      assertEquals("naive-4bit", representation.name());
      assertThrows(NullPointerException.class, () -> new NaiveQuantizedRepresentation(null));
      assertThrows(NullPointerException.class,
          () -> new NaiveQuantizedRepresentation(new Linear2Map(), null));
      IllegalArgumentException order =
          assertThrows(IllegalArgumentException.class, () -> representation.create(0, ctx));
      assertTrue(order.getMessage().contains("order"), order.getMessage());
      Preconditioner p = representation.create(8, ctx);
      try (NDArray wrong = m.zeros(new ai.djl.ndarray.types.Shape(8, 9))) {
        IllegalArgumentException shape =
            assertThrows(IllegalArgumentException.class, () -> p.accumulate(wrong));
        assertTrue(shape.getMessage().contains("(8, 8)"), shape.getMessage());
      }
      p.close();
      p.close(); // idempotent
      IllegalStateException closed =
          assertThrows(IllegalStateException.class, p::refreshInverseRoot);
      assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }
  }
}
