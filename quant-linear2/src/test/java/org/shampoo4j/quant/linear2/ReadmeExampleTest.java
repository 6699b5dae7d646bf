package org.shampoo4j.quant.linear2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.ArrayQuantizer;
import org.shampoo4j.quant.FloatTensor;
import org.shampoo4j.quant.PackedTensor;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.quant.QuantizationSpec;

/** The README's quantization example, verbatim between the markers, so it stays compilable. */
class ReadmeExampleTest {
  @Test
  void quantizeAndDequantizeAMatrix() {
    float[] values = new float[256 * 256];
    Random random = new Random(1);
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }

    // --- README snippet begins ---
    QuantizationMap map = new Linear2Map();                       // or new DynamicTreeMap()
    QuantizationSpec spec = QuantizationSpec.builder(map.codebook(4)).blockSize(64).build();
    ArrayQuantizer quantizer = new ArrayQuantizer(spec);          // NDArrayQuantizer for DJL
    FloatTensor matrix = FloatTensor.of(values, 256, 256);        // row-major float[]
    PackedTensor packed = quantizer.quantize(matrix);             // 4-bit codes + fp32 scales
    FloatTensor restored = quantizer.dequantize(packed);
    double bits = packed.memory().bitsPerElement(matrix.size());  // 4.5 bits per element
    // --- README snippet ends ---

    assertEquals(4.5, bits, 0.0);
    float[] back = restored.data();
    float[] scales = packed.scales();
    float maxError = spec.codebook().maxRoundingError();
    for (int i = 0; i < values.length; i++) {
      assertTrue(Math.abs(values[i] - back[i]) <= maxError * scales[i / 64] * (1 + 1e-6f));
    }
  }
}
