package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.ArrayQuantizer;
import org.shampoo4j.quant.CodePacker;
import org.shampoo4j.quant.FloatTensor;
import org.shampoo4j.quant.PackedTensor;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.testing.Matrices;
import org.shampoo4j.testing.MatrixErrors;

/**
 * The docs/algorithms.md §6 recursion, step by step, on the stored state: a host reference with plain loops and
 * the pure-Java {@link ArrayQuantizer} takes the device's Cholesky factor C_k (recorded by {@link
 * ScriptedMatrixFunctions}) and must predict the stored bytes exactly: the shared code matrix
 * (factor codes below the diagonal, error codes transposed above), both scale vectors, the fp32
 * diagonal, and the dequantized factor and error. C_k itself is checked against an EJML
 * factorisation of {@code β·C̃C̃ᵀ + (1−β)·G + r·I} built from the previous stored state.
 */
class ErrorFeedbackRecursionTest {

  @ParameterizedTest(name = "n={0} betaE={1} bits={2} errorFeedback={3}")
  @CsvSource({"70, 0.0, 4, true", "96, 0.5, 4, true", "40, 0.0, 3, true", "70, 0.0, 4, false"})
  void recursionHoldsOnStoredState(int n, float betaE, int bits, boolean errorFeedback) {
    CholeskyEfConfig config =
        CholeskyEfConfig.builder().errorFeedback(errorFeedback).betaE(betaE).build();
    int pairs = n * (n - 1) / 2;
    float beta = 0.95f;
    QuantizationSpec vectorSpec = QuantizationSpec.builder(Fixtures.LINEAR2.codebook(bits))
        .blockSize(64).minQuantizedElements(0).build();
    ArrayQuantizer quantizer = new ArrayQuantizer(vectorSpec);
    CodePacker packer = new CodePacker(bits);
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions torch = new TorchScriptMatrixFunctions(m)) {
      ScriptedMatrixFunctions linalg = new ScriptedMatrixFunctions(torch);
      PreconditionerContext context =
          Fixtures.context(m, linalg, 0).bits(bits).beta(beta).build();
      try (CholeskyEfPreconditioner p = Fixtures.create(n, context, config)) {
        assertTrue(p.quantized());
        float[] error = new float[pairs];
        Random random = new Random(11);
        double worstFactorNre = 0;
        for (int k = 0; k < 6; k++) {
          DMatrixRMaj previous = Matrices.fromNd(p.factor(m));
          DMatrixRMaj gram = Host.gram(n, n / 2, Host.logScales(n, 1e4), random);
          p.accumulate(Matrices.toNd(m, gram));
          List<float[]> factors = linalg.factors();
          float[] c = factors.get(factors.size() - 1);

          // C_k·C_kᵀ against β·C̃C̃ᵀ + (1−β)·G (the ridge eps·λmax is far below the tolerance).
          DMatrixRMaj expectedStat = new DMatrixRMaj(n, n);
          CommonOps_DDRM.multTransB(previous, previous, expectedStat);
          expectedStat = Host.ema(expectedStat, gram, beta);
          DMatrixRMaj ck = DMatrixRMaj.wrap(n, n, toDouble(c));
          DMatrixRMaj rebuilt = new DMatrixRMaj(n, n);
          CommonOps_DDRM.multTransB(ck, ck, rebuilt);
          double nre = MatrixErrors.nre(rebuilt, expectedStat);
          worstFactorNre = Math.max(worstFactorNre, nre);
          assertTrue(nre < 1e-4, "step " + k + ": C_k·C_kᵀ vs β·C̃C̃ᵀ+(1−β)G, NRE " + nre);

          // The reference update of the stored state.
          float[] lower = new float[pairs];
          float[] diagonal = new float[n];
          int t = 0;
          for (int i = 0; i < n; i++) {
            diagonal[i] = c[i * n + i];
            for (int j = 0; j < i; j++) {
              lower[t++] = c[i * n + j];
            }
          }
          float[] target = new float[pairs];
          for (int i = 0; i < pairs; i++) {
            target[i] = errorFeedback ? lower[i] + error[i] : lower[i];
          }
          PackedTensor qx = quantizer.quantize(FloatTensor.of(target, pairs));
          float[] dx = quantizer.dequantize(qx).data();
          byte[] factorCodes = packer.unpack(qx.codes(), pairs);
          StoredFactor stored = p.storedFactor();
          assertArrayEquals(diagonal, stored.diagonal().toFloatArray(), "diagonal, step " + k);
          assertArrayEquals(qx.scales(), stored.factorScales().toFloatArray(), "factor scales");
          DMatrixRMaj factor = Matrices.fromNd(p.factor(m));
          assertArrayEquals(matrixOf(n, dx, diagonal), toFloat(factor.data), "D(codes)+diag(d)");
          if (!errorFeedback) {
            assertArrayEquals(qx.codes(), stored.codes().toByteArray(), "factor codes");
            assertEquals(0, stored.errorScales().size());
            continue;
          }
          float[] nextError = new float[pairs];
          for (int i = 0; i < pairs; i++) {
            float residual = target[i] - dx[i];
            nextError[i] = betaE == 0f ? residual : error[i] * betaE + residual * (1f - betaE);
          }
          PackedTensor qe = quantizer.quantize(FloatTensor.of(nextError, pairs));
          error = quantizer.dequantize(qe).data();
          byte[] errorCodes = packer.unpack(qe.codes(), pairs);
          assertArrayEquals(qe.scales(), stored.errorScales().toFloatArray(), "error scales");
          assertArrayEquals(
              packer.pack(sharedStream(n, factorCodes, errorCodes)),
              stored.codes().toByteArray(), "shared code matrix, step " + k);
          assertEquals(packer.packedLength((long) n * (n - 1)), stored.codes().size());
          assertArrayEquals(
              matrixOf(n, error, new float[n]), p.error(m).toFloatArray(), "D(error codes)");
        }
        System.out.printf(
            "EF recursion n=%d betaE=%.1f bits=%d EF=%s: 6 steps exact on stored bytes;"
                + " worst ‖C_kC_kᵀ − (β·C̃C̃ᵀ+(1−β)G)‖/‖·‖ = %.2e, final ‖E‖max = %.3e%n",
            n, betaE, bits, errorFeedback, worstFactorNre, maxAbs(error));
      }
    }
  }

  // The n(n−1) off-diagonal codes in row-major order: factor code of (i,j) below, error code of
  // (j,i) above the diagonal.
  private static byte[] sharedStream(int n, byte[] factorCodes, byte[] errorCodes) {
    byte[] stream = new byte[n * (n - 1)];
    int s = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (j < i) {
          stream[s++] = factorCodes[i * (i - 1) / 2 + j];
        } else if (j > i) {
          stream[s++] = errorCodes[j * (j - 1) / 2 + i];
        }
      }
    }
    return stream;
  }

  private static float[] matrixOf(int n, float[] lower, float[] diagonal) {
    float[] out = new float[n * n];
    int t = 0;
    for (int i = 0; i < n; i++) {
      out[i * n + i] = diagonal[i];
      for (int j = 0; j < i; j++) {
        out[i * n + j] = lower[t++];
      }
    }
    return out;
  }

  private static double[] toDouble(float[] x) {
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i];
    }
    return out;
  }

  private static float[] toFloat(double[] x) {
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) x[i];
    }
    return out;
  }

  private static float maxAbs(float[] x) {
    float worst = 0f;
    for (float v : x) {
      worst = Math.max(worst, Math.abs(v));
    }
    return worst;
  }
}
