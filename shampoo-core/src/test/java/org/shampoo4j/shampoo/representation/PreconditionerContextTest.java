package org.shampoo4j.shampoo.representation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.shampoo4j.linalg.EighInverseRoot;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.Blocking;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.QuantizationSettings;
import org.shampoo4j.quant.linear2.Linear2Map;

/** The context carries one {@link QuantizationSettings} and, optionally, owned code kernels. */
class PreconditionerContextTest {

  @Test
  void quantizationSettingsAndCodeKernelsSurviveToBuilder() {
    QuantizationSettings settings = QuantizationSettings.builder().bits(3).blockSize(16)
        .blocking(Blocking.FLAT).minQuantizedElements(0).build();
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m);
        CodeKernels kernels = new CodeKernels(m)) {
      PreconditionerContext plain = PreconditionerContext.builder().linalg(f)
          .rootMethod(new EighInverseRoot(f)).manager(m).quantization(settings).build();
      assertEquals(settings, plain.quantization());
      assertEquals(3, plain.bits());
      assertTrue(plain.codeKernels().isEmpty());
      assertEquals(QuantizationSettings.defaults(), PreconditionerContext.builder().linalg(f)
          .rootMethod(new EighInverseRoot(f)).manager(m).build().quantization());

      PreconditionerContext owned = plain.toBuilder().codeKernels(kernels).build();
      assertSame(kernels, owned.codeKernels().orElseThrow());
      assertEquals(settings, owned.toBuilder().label("other").build().quantization());
      assertSame(kernels, owned.toBuilder().build().codeKernels().orElseThrow());

      // The same codes whether the quantizer runs on owned kernels or on plain NDArray operations.
      NDArray x = m.randomNormal(new ai.djl.ndarray.types.Shape(12, 12));
      NDArrayQuantizer onOwned = owned.quantizer(new Linear2Map());
      NDArrayQuantizer onUnowned = plain.quantizer(new Linear2Map());
      assertEquals(onOwned.spec(), onUnowned.spec());
      PackedNDArray a = onOwned.quantize(x);
      PackedNDArray b = onUnowned.quantize(x);
      assertArrayEquals(b.codes().toByteArray(), a.codes().toByteArray());
      assertArrayEquals(b.scales().toFloatArray(), a.scales().toFloatArray());
    }
  }
}
