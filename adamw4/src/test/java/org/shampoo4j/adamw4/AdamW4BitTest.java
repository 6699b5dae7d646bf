package org.shampoo4j.adamw4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.base.AdamW;

/** {@link AdamW4Bit} against fp32 AdamW, its memory, and its input checks. */
class AdamW4BitTest {
  private static final Shape[] SHAPES = {
      new Shape(64, 96), new Shape(4, 32, 40), new Shape(5000), new Shape(10, 10),
      new Shape(1, 4096)};

  /**
   * With lossless storage (every tensor kept fp32 by its codec) the 4-bit optimizer's code path
   * must reproduce fp32 AdamW step for step.
   */
  @Test
  void losslessStorageEqualsFp32AdamWStepForStep() {
    AdamW4BitConfig lossless = AdamW4BitConfig.builder()
        .weightDecay(0.01f).minQuantizedElements(Long.MAX_VALUE).build();
    AdamW.Settings reference = AdamW.builder().weightDecay(0.01f).settings();
    double worst = 0;
    try (NDManager manager = NDManager.newBaseManager();
        AdamW4Bit quantized = new AdamW4Bit(lossless);
        AdamW fp32 = reference.create()) {
      manager.getEngine().setRandomSeed(11);
      Map<String, NDArray[]> weights = new LinkedHashMap<>();
      for (int p = 0; p < SHAPES.length; p++) {
        NDArray w = manager.randomNormal(SHAPES[p]);
        weights.put("p" + p, new NDArray[] {w, w.duplicate()});
      }
      for (int step = 1; step <= 25; step++) {
        for (Map.Entry<String, NDArray[]> e : weights.entrySet()) {
          NDArray g = manager.randomNormal(e.getValue()[0].getShape()).mul(0.1f);
          quantized.update(e.getKey(), e.getValue()[0], g, 1e-2f, step);
          fp32.update(e.getKey(), e.getValue()[1], g, 1e-2f, step);
          double diff = e.getValue()[0].sub(e.getValue()[1]).abs().max().getFloat();
          worst = Math.max(worst, diff);
          assertEquals(0.0, diff, 1e-6, e.getKey() + " at step " + step);
        }
      }
      System.out.printf("lossless AdamW4Bit vs fp32 AdamW, 25 steps, 5 tensors: max |dw| = %.3g%n",
          worst);
      for (String id : weights.keySet()) {
        assertEquals(fp32.memory(id), quantized.memory(id), "lossless memory of " + id);
      }
    }
  }

  /** Exact bytes from the real buffers, and about 4.2 to 4.5 bits per moment element. */
  @Test
  void memoryIsFourBitCodesPlusScales() {
    try (NDManager manager = NDManager.newBaseManager();
        AdamW4Bit optimizer = new AdamW4Bit()) {
      Map<String, Shape> shapes = new LinkedHashMap<>();
      shapes.put("matrix", new Shape(256, 512));
      shapes.put("conv", new Shape(64, 32, 3, 3));
      shapes.put("squeezed", new Shape(1, 64, 96));
      shapes.put("vector", new Shape(5000));
      shapes.put("small", new Shape(100));
      long elements = 0;
      for (Map.Entry<String, Shape> e : shapes.entrySet()) {
        NDArray w = manager.randomNormal(e.getValue());
        optimizer.update(e.getKey(), w, manager.randomNormal(e.getValue()), 1e-3f, 1);
        elements += e.getValue().size();
      }
      // matrix: m = 65536 code bytes + 1024 blocks * 4; v = 65536 + 4 * (256 + 512).
      assertEquals(new MemoryFootprint(131072, 4096 + 3072, 0), optimizer.memory("matrix"));
      // conv 64x32x3x3 = 18432: m = 9216 + 144 * 4; v rank-1 over 4 axes: 4 * (64+32+3+3).
      assertEquals(new MemoryFootprint(18432, 576 + 408, 0), optimizer.memory("conv"));
      // 1x64x96: the unit axis is dropped, v is rank-1 over 64x96: m = 3072 + 48 * 4, v = 3072 +
      // 4 * (64 + 96).
      assertEquals(new MemoryFootprint(6144, 192 + 640, 0), optimizer.memory("squeezed"));
      // vector 5000: both moments block-wise, 2500 code bytes + 40 blocks * 4 each.
      assertEquals(new MemoryFootprint(5000, 320, 0), optimizer.memory("vector"));
      // small: under 4096 elements, two fp32 moments.
      assertEquals(MemoryFootprint.ofFp32(200), optimizer.memory("small"));
      assertEquals(MemoryFootprint.ZERO, optimizer.memory("unknown"));
      for (String id : shapes.keySet()) {
        MemoryFootprint f = optimizer.memory(id);
        System.out.printf("memory %-8s %-14s codes %7d B, scales %5d B, fp32 %4d B:"
                + " %.3f bits per moment element (fp32 AdamW: 32)%n",
            id, shapes.get(id), f.codeBytes(), f.scaleBytes(), f.fp32Bytes(),
            f.bitsPerElement(2 * shapes.get(id).size()));
      }
      double matrixBits = optimizer.memory("matrix").bitsPerElement(2 * 256 * 512);
      assertTrue(matrixBits > 4.0 && matrixBits < 4.5, "bits per element " + matrixBits);
      MemoryFootprint total = optimizer.totalMemory();
      System.out.printf("memory total: %d B for %d parameters' two moments = %.3f bits/element,"
          + " %.2fx smaller than fp32%n", total.total(), elements,
          total.bitsPerElement(2 * elements), 64.0 * elements / 8 / total.total());
    }
  }

  @Test
  void rejectsBadInputWithTheParameterNamed() {
    try (NDManager manager = NDManager.newBaseManager();
        AdamW4Bit optimizer = new AdamW4Bit()) {
      NDArray w = manager.zeros(new Shape(4, 5));
      IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
          () -> optimizer.update("layer.weight", w, manager.zeros(new Shape(5, 4)), 1e-3f, 1));
      assertTrue(shape.getMessage().contains("layer.weight"), shape.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> optimizer.update("w", w, w.zerosLike(), Float.NaN, 1));
      assertThrows(IllegalArgumentException.class,
          () -> optimizer.update("w", w, w.zerosLike(), 1e-3f, 0));
      optimizer.update("w", w, w.onesLike(), 1e-3f, 1);
      NDArray other = manager.zeros(new Shape(20));
      IllegalArgumentException changed = assertThrows(IllegalArgumentException.class,
          () -> optimizer.update("w", other, other.onesLike(), 1e-3f, 2));
      assertTrue(changed.getMessage().contains("(4, 5)"), changed.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> AdamW4BitConfig.builder().beta1(1f));
    assertThrows(IllegalArgumentException.class, () -> AdamW4BitConfig.builder().beta2(-0.1f));
    assertThrows(IllegalArgumentException.class, () -> AdamW4BitConfig.builder().epsilon(0f));
    assertThrows(IllegalArgumentException.class,
        () -> AdamW4BitConfig.builder().weightDecay(Float.NaN));
    assertThrows(IllegalArgumentException.class, () -> AdamW4BitConfig.builder().blockSize(0));
  }

  /** The state of a closed optimizer is gone; the weights it updated stay usable. */
  @Test
  void closeFreesStateButNotWeights() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray w = manager.ones(new Shape(64, 128));
      AdamW4Bit optimizer = new AdamW4Bit();
      optimizer.update("w", w, w.onesLike(), 0.5f, 1);
      optimizer.close();
      assertEquals(MemoryFootprint.ZERO, optimizer.memory("w"));
      // First Adam step moves every element by lr (m̂/√v̂ = 1 for a constant gradient).
      assertEquals(0.5f, w.mean().getFloat(), 1e-5f);
    }
  }
}
