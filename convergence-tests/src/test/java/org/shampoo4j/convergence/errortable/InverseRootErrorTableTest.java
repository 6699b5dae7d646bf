package org.shampoo4j.convergence.errortable;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.shampoo4j.convergence.fixtures.Dense;
import org.shampoo4j.convergence.fixtures.InverseRootApproximations;
import org.shampoo4j.convergence.fixtures.Maps;
import org.shampoo4j.convergence.fixtures.MatrixQuantizer;
import org.shampoo4j.convergence.fixtures.RunSize;
import org.shampoo4j.convergence.fixtures.SpdFamilies;
import org.shampoo4j.convergence.fixtures.SpdMatrix;
import org.shampoo4j.quant.QuantizationMap;

/**
 * The 4-bit Shampoo paper's error table (SPEC §3): NRE and angle error of {@code A^(−1/4)} for
 * {quantize A, quantize U, U + Björck} × {Linear-2, DT}, B = 64, on a "real" statistic (EMA of
 * gradient outer products of a small network, see {@link SpdFamilies#gradientStatistic}) and a
 * synthetic one (geometric spectrum, κ = 1e4, see {@link SpdFamilies#geometric}). Order 256 in the
 * CI run, the paper's 1200 in the thorough run. The table is printed next to the paper's numbers.
 *
 * <p>Measured (n = 256 and n = 1200 alike): U + Björck matches the paper closely (real Linear-2
 * 0.035 / 2.0° against the paper's 0.034 / 1.95°); plain quantized U is 1.6x to 3x worse than the
 * paper's, and quantized A is far worse than the paper's (NRE 0.7 to 2.8: our root of the
 * dequantized A clamps its negative eigenvalues to zero before the ridge, which the paper does not
 * specify). The three orderings asserted below held at both sizes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InverseRootErrorTableTest {
  /** The paper's numbers (NRE, AE°) by row key and matrix: real A1 then synthetic A2. */
  private static final Map<String, double[]> PAPER = Map.of(
      "A/Linear-2", new double[] {0.6243, 17.29, 0.4465, 15.34},
      "U/Linear-2", new double[] {0.0543, 3.11, 0.0942, 5.40},
      "U+Bjorck/Linear-2", new double[] {0.0343, 1.95, 0.0669, 3.82},
      "U+Bjorck/DT", new double[] {0.0455, 2.56, 0.0878, 5.00});

  private static final String[] METHODS = {"A", "U", "U+Bjorck"};

  private final Map<String, double[]> measured = new LinkedHashMap<>();
  private SpdMatrix real;
  private SpdMatrix synthetic;

  @BeforeAll
  void measure() {
    int n = RunSize.pick(256, 1200);
    real = SpdFamilies.gradientStatistic(n, 300, new Random(11));
    synthetic = SpdFamilies.geometric(n, 1e4, new Random(12));
    for (QuantizationMap map : Maps.both()) {
      MatrixQuantizer q = MatrixQuantizer.fourBit(map);
      for (String method : METHODS) {
        double[] row = new double[4];
        int col = 0;
        for (SpdMatrix a : new SpdMatrix[] {real, synthetic}) {
          DMatrixRMaj exact = InverseRootApproximations.exact(a, -0.25);
          DMatrixRMaj approx = switch (method) {
            case "A" -> InverseRootApproximations.quantizeA(a, q, -0.25);
            case "U" -> InverseRootApproximations.quantizeU(a, q, 0, -0.25);
            default -> InverseRootApproximations.quantizeU(a, q, 4, -0.25);
          };
          row[col++] = Dense.normalizedError(approx, exact);
          row[col++] = Dense.angleDegrees(approx, exact);
        }
        measured.put(method + "/" + Maps.shortName(map), row);
      }
    }
    print(n);
  }

  private void print(int n) {
    System.out.printf("[Error table] A^(-1/4), n=%d, 4-bit, B=64 (%s run; paper: n=1200)%n", n, RunSize.label());
    System.out.printf("  A1 = %s, cond %.2e%n", real.description(), real.condition());
    System.out.printf("  A2 = %s, cond %.2e%n", synthetic.description(), synthetic.condition());
    System.out.printf("  %-20s | %-17s %-17s | %-17s %-17s%n", "quantized / map",
        "real: ours", "real: paper", "synth: ours", "synth: paper");
    for (Map.Entry<String, double[]> e : measured.entrySet()) {
      double[] m = e.getValue();
      double[] p = PAPER.get(e.getKey());
      System.out.printf("  %-20s | %-17s %-17s | %-17s %-17s%n", e.getKey(),
          cell(m[0], m[1]), p == null ? "-" : cell(p[0], p[1]),
          cell(m[2], m[3]), p == null ? "-" : cell(p[2], p[3]));
    }
  }

  private static String cell(double nre, double angle) {
    return String.format("%.4f / %.2f", nre, angle);
  }

  private double nre(String key, boolean synth) {
    return measured.get(key)[synth ? 2 : 0];
  }

  @Test
  void quantizingUIsFarMoreAccurateThanQuantizingA() {
    for (String map : new String[] {"Linear-2", "DT"}) {
      for (boolean synth : new boolean[] {false, true}) {
        double a = nre("A/" + map, synth);
        double u = nre("U/" + map, synth);
        assertTrue(u < a, () -> String.format("%s %s: quantize U %.4f vs quantize A %.4f",
            map, synth ? "synthetic" : "real", u, a));
      }
    }
  }

  @Test
  void bjorckImprovesOnPlainQuantizedU() {
    for (String map : new String[] {"Linear-2", "DT"}) {
      for (boolean synth : new boolean[] {false, true}) {
        double u = nre("U/" + map, synth);
        double ub = nre("U+Bjorck/" + map, synth);
        assertTrue(ub < u, () -> String.format("%s %s: U+Björck %.4f vs U %.4f",
            map, synth ? "synthetic" : "real", ub, u));
      }
    }
  }

  @Test
  void linear2IsNoWorseThanDynamicTreeForEigenvectors() {
    for (String method : new String[] {"U", "U+Bjorck"}) {
      for (boolean synth : new boolean[] {false, true}) {
        double l2 = nre(method + "/Linear-2", synth);
        double dt = nre(method + "/DT", synth);
        assertTrue(l2 <= dt, () -> String.format("%s %s: Linear-2 %.4f vs DT %.4f",
            method, synth ? "synthetic" : "real", l2, dt));
      }
    }
  }
}
