package org.shampoo4j.quant.linear2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.shampoo4j.quant.ArrayQuantizer;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.FloatTensor;
import org.shampoo4j.quant.QuantizationSpec;

class ZeroFreeLinearMapTest {
  private final ZeroFreeLinearMap map = new ZeroFreeLinearMap();

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 8})
  void codesAreJPlusOneOverTwoToTheB(int bits) {
    Codebook cb = map.codebook(bits);
    assertEquals("linear-nozero/" + bits, cb.id());
    int size = 1 << bits;
    for (int j = 0; j < size; j++) {
      assertEquals((j + 1) / (double) size, cb.decode(j), 0.0, "code " + j);
    }
  }

  @Test
  void neverDecodesToZeroSoInverseSquareRootStaysFinite() {
    // A second-moment-like block with tiny entries next to a large one.
    float[] v = new float[128];
    v[0] = 1f;
    for (int i = 1; i < v.length; i++) {
      v[i] = 1e-9f * i;
    }
    ArrayQuantizer q = new ArrayQuantizer(
        QuantizationSpec.builder(map.codebook(4)).blockSize(128).minQuantizedElements(0).build());
    float[] back = q.dequantize(q.quantize(FloatTensor.vector(v))).data();
    for (int i = 0; i < back.length; i++) {
      assertTrue(back[i] >= 1f / 16, "element " + i + " decoded to " + back[i]);
      assertTrue(Double.isFinite(1.0 / Math.sqrt(back[i])));
    }
  }

  @Test
  void rejectsUnsupportedWidths() {
    assertThrows(IllegalArgumentException.class, () -> map.codebook(0));
    assertThrows(IllegalArgumentException.class, () -> map.codebook(9));
  }
}
