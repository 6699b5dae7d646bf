package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import org.junit.jupiter.api.Test;

class TorchScriptModulesTest {
  @Test
  void aMissingModuleIsNamedWithItsPackagePath() {
    try (NDManager manager = NDManager.newBaseManager()) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> TorchScriptModules.load((PtNDManager) manager, getClass(), "absent.pt"));
      assertTrue(e.getMessage().contains("org/shampoo4j/quant/absent.pt"), e.getMessage());
    }
  }

  @Test
  void runsACommittedModuleMethod() {
    // The quantizer module's unpack of two 4-bit codes packed into one byte (low nibble first).
    try (NDManager manager = NDManager.newBaseManager()) {
      PtSymbolBlock module = TorchScriptModules.load(
          (PtNDManager) manager, TorchScriptCodes.class, TorchScriptCodes.MODULE_RESOURCE);
      NDArray packed = manager.create(new byte[] {(byte) 0x93}).toType(DataType.UINT8, false);
      try (IValue in = IValue.from((PtNDArray) packed);
          IValue bits = IValue.from(4L);
          IValue count = IValue.from(2L);
          IValue out = TorchScriptModules.run(module, "unpack", in, bits, count)) {
        NDArray codes = out.toTensor((PtNDManager) manager).toType(DataType.INT32, false);
        assertEquals(3, codes.getInt(0));
        assertEquals(9, codes.getInt(1));
      } finally {
        module.close();
      }
    }
  }
}
