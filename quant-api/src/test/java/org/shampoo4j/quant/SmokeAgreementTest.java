package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SmokeAgreementTest {
  @Test
  void agrees() {
    for (int bits : new int[] {3, 4, 8}) {
      float[] v = new float[1 << bits];
      for (int j = 0; j < v.length; j++) v[j] = -1f + 2f * j / (v.length - 1);
      Codebook cb = Codebook.of("lin", bits, v);
      QuantizationSpec spec = QuantizationSpec.builder(cb).minQuantizedElements(0).build();
      Random r = new Random(1);
      int n = 67;
      float[] x = new float[n * n];
      for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
      ArrayQuantizer aq = new ArrayQuantizer(spec);
      NDArrayQuantizer nq = new NDArrayQuantizer(spec);
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray a = m.create(x).reshape(n, n);
        PackedTensor pj = aq.quantize(FloatTensor.of(x, n, n));
        PackedNDArray pd = nq.quantize(a);
        assertEquals(pj, pd.toHost());
        assertEquals(
            FloatTensor.of(aq.dequantize(pj).data(), n, n),
            FloatTensor.of(nq.dequantize(pd).toFloatArray(), n, n));
        PackedTensor oj = aq.quantizeOffDiagonal(FloatTensor.of(x, n, n));
        PackedNDArray od = nq.quantizeOffDiagonal(a);
        assertEquals(oj, od.toHost());
        assertEquals(
            FloatTensor.of(aq.dequantize(oj).data(), n, n),
            FloatTensor.of(nq.dequantize(od).toFloatArray(), n, n));
      }
    }
  }
}
