package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.testing.QuantizerChecks;

/**
 * Owned kernels (a {@link CodeKernels} made and closed by its caller) give exactly the results of
 * the plain NDArray path (DeviceCodes' static methods) and of the Java quantizer, and a quantizer
 * built on them uses them.
 */
class CodeKernelsTest {

  @Test
  void ownedKernelsAgreeWithThePlainPathAndTheJavaQuantizer() {
    Random random = new Random(7);
    Codebook codebook = TestCodebooks.random(4, random, true);
    int rows = 9;
    int columns = 37;
    float[] x = QuantizerChecks.data(rows * columns, random);
    QuantizationSpec spec = QuantizationSpec.builder(codebook).blockSize(16)
        .blocking(Blocking.ROWS).minQuantizedElements(0).build();
    PackedTensor host = new ArrayQuantizer(spec).quantize(FloatTensor.of(x, rows, columns));
    float[] hostValues = new ArrayQuantizer(spec).dequantize(host).data();
    try (NDManager m = NDManager.newBaseManager();
        CodeKernels kernels = new CodeKernels(m)) {
      NDArray input = m.create(x).reshape(rows, columns);
      assertTrue(kernels.fused(input), "DJL's PyTorch engine runs the fused module");
      DeviceCodes.BlockEncoding owned = kernels.encodeBlocks(input, codebook, 16, columns);
      DeviceCodes.BlockEncoding plain = DeviceCodes.encodeBlocks(input, codebook, 16, columns);
      assertArrayEquals(plain.codes().toByteArray(), owned.codes().toByteArray());
      assertArrayEquals(host.scales(), owned.scales().toFloatArray());
      NDArray packed = kernels.pack(owned.codes(), 4);
      assertArrayEquals(host.codes(), packed.toByteArray());
      assertArrayEquals(owned.codes().toByteArray(),
          kernels.unpack(packed, 4, (long) rows * columns).toByteArray());
      assertArrayEquals(hostValues, kernels.decodeBlocks(
          owned.codes(), owned.scales(), codebook, 16, columns).toFloatArray());
      assertArrayEquals(DeviceCodes.nearestCodes(input, codebook).toByteArray(),
          kernels.nearestCodes(input, codebook).toByteArray());

      NDArrayQuantizer onOwned = new NDArrayQuantizer(spec, true, kernels);
      PackedNDArray device = onOwned.quantize(input);
      assertArrayEquals(host.codes(), device.codes().toByteArray());
      assertArrayEquals(hostValues, onOwned.dequantize(device).toFloatArray());
    }
  }

  @Test
  void ownedKernelsCheckTheirInputLikeTheStaticOnes() {
    Codebook codebook = TestCodebooks.linear(4);
    try (NDManager m = NDManager.newBaseManager();
        CodeKernels kernels = new CodeKernels(m)) {
      assertThrows(IllegalArgumentException.class,
          () -> kernels.encodeBlocks(m.create(new float[0]), codebook, 64));
      assertThrows(IllegalArgumentException.class,
          () -> kernels.encodeBlocks(m.create(new float[] {1f}), codebook, 0));
      IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
          () -> kernels.pack(m.create(new byte[] {1}), 9));
      assertEquals("bits must be in [1, 8], got 9", width.getMessage());
      assertThrows(NullPointerException.class,
          () -> new NDArrayQuantizer(QuantizationSpec.of(codebook), true, null));
    }
  }
}
