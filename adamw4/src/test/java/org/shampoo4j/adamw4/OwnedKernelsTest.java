package org.shampoo4j.adamw4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.CodeKernels;

/**
 * The moment codecs on owned kernels ({@link MomentCodec#on}, as {@link AdamW4Bit} uses them)
 * store exactly what they store on plain NDArray operations (no kernels given).
 */
class OwnedKernelsTest {

  @Test
  void codecsOnOwnedKernelsStoreTheSameBuffers() {
    AdamW4BitConfig config = AdamW4BitConfig.builder().minQuantizedElements(0).build();
    try (NDManager m = NDManager.newBaseManager();
        CodeKernels kernels = new CodeKernels(m)) {
      for (Shape shape : new Shape[] {new Shape(7, 33), new Shape(300)}) {
        NDArray moment = m.randomNormal(shape).abs();
        for (MomentCodec codec : List.of(config.firstMoment(), config.secondMoment())) {
          MomentCodec owned = codec.on(kernels);
          assertNotSame(codec, owned);
          assertEquals(codec.describe(), owned.describe());
          try (QuantizedMoment a = codec.encode(moment);
              QuantizedMoment b = owned.encode(moment)) {
            assertEquals(a.buffers().size(), b.buffers().size());
            for (int i = 0; i < a.buffers().size(); i++) {
              assertArrayEquals(a.buffers().get(i).toByteArray(),
                  b.buffers().get(i).toByteArray(), codec.describe() + " buffer " + i);
            }
            assertArrayEquals(a.decode(m).toFloatArray(), b.decode(m).toFloatArray());
          }
        }
      }
    }
  }
}
