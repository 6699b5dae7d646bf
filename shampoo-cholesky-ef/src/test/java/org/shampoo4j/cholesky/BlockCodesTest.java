package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.quant.ArrayQuantizer;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.CodePacker;
import org.shampoo4j.quant.FloatTensor;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.PackedTensor;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.representation.QuantizedInverseRoot;

/**
 * {@link BlockCodes} and the preconditioner's stored root ({@link QuantizedInverseRoot}) against
 * quant-api: the same codes and scales as the pure-Java {@link ArrayQuantizer}, and the same bytes
 * and values as {@link NDArrayQuantizer#quantizeOffDiagonal}.
 */
class BlockCodesTest {

  @Property(tries = 40, seed = "42")
  void encodesLikeArrayQuantizer(
      @ForAll @IntRange(min = 1, max = 700) int count,
      @ForAll @IntRange(min = 3, max = 8) int bits,
      @ForAll boolean dynamicTree,
      @ForAll @IntRange(min = 0, max = 3) int zeroBlocks,
      @ForAll long seed) {
    QuantizationMap map = dynamicTree ? new DynamicTreeMap() : new Linear2Map();
    Random random = new Random(seed);
    float[] x = new float[count];
    for (int i = 0; i < count; i++) {
      // Heavy tails and exact zeros, so scales and codes cover their extremes.
      x[i] = random.nextInt(5) == 0 ? 0f : (float) (random.nextGaussian() * Math.exp(3 * random.nextGaussian()));
    }
    for (int b = 0; b < zeroBlocks && b * 64 < count; b++) {
      java.util.Arrays.fill(x, b * 64, Math.min(count, b * 64 + 64), 0f);
    }
    QuantizationSpec spec = QuantizationSpec.builder(map.codebook(bits)).minQuantizedElements(0).build();
    PackedTensor expected = new ArrayQuantizer(spec).quantize(FloatTensor.of(x, count));
    byte[] expectedCodes = new CodePacker(bits).unpack(expected.codes(), count);
    try (NDManager m = NDManager.newBaseManager();
        CodeKernels kernels = new CodeKernels(m)) {
      BlockCodes codes = new BlockCodes(spec.codebook(), spec.blockSize(), kernels);
      BlockCodes.Encoded got = codes.encode(m.create(x));
      float[] gotCodes = got.codes().toFloatArray();
      for (int i = 0; i < count; i++) {
        assertEquals(expectedCodes[i] & 0xFF, (int) gotCodes[i], "code " + i);
      }
      assertArrayEquals(expected.scales(), got.scales().toFloatArray(), "scales");
      float[] values = new ArrayQuantizer(spec).dequantize(expected).data();
      assertArrayEquals(values, codes.decode(got.codes(), got.scales()).toFloatArray(), "values");
    }
  }

  @Property(tries = 15, seed = "42")
  void storedRootEqualsQuantizeOffDiagonal(
      @ForAll @IntRange(min = 1, max = 90) int n, @ForAll boolean small, @ForAll long seed) {
    Random random = new Random(seed);
    float[] a = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        float v = (float) random.nextGaussian() * (i == j ? 10f : 1f);
        a[i * n + j] = v;
        a[j * n + i] = v;
      }
    }
    QuantizationSpec spec = QuantizationSpec.builder(new Linear2Map().codebook(4))
        .minQuantizedElements(small ? 4096 : 0).build();
    try (NDManager m = NDManager.newBaseManager();
        CodeKernels kernels = new CodeKernels(m);
        QuantizedInverseRoot got =
            new QuantizedInverseRoot(n, new NDArrayQuantizer(spec, false, kernels), m)) {
      NDArray matrix = m.create(a).reshape(n, n);
      PackedNDArray expected = new NDArrayQuantizer(spec).quantizeOffDiagonal(matrix);
      got.replace(matrix);
      assertEquals(expected.memory(), got.memory(), "footprint");
      assertArrayEquals(
          new NDArrayQuantizer(spec).dequantize(expected).toFloatArray(),
          got.dequantize(m).toFloatArray(), "dequantized root");
    }
  }
}
