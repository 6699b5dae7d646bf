package org.shampoo4j.bench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelKindTest {
  @ParameterizedTest
  @CsvSource({
    "MLP, 1, 8, 8", "MLP, 3, 32, 32",
    "RESNET, 1, 8, 8", "RESNET, 1, 28, 28", "RESNET, 3, 32, 32",
    "RESNET18, 1, 8, 8", "RESNET18, 1, 28, 28", "VIT, 1, 8, 8", "VIT, 1, 28, 28", "VIT, 3, 32, 32"
  })
  void mapsImagesToOneScorePerClass(ModelKind kind, int c, int h, int w) {
    try (NDManager m = NDManager.newBaseManager()) {
      Block block = kind.build(16, 10);
      block.setInitializer(new XavierInitializer(), ai.djl.nn.Parameter.Type.WEIGHT);
      block.initialize(m, DataType.FLOAT32, new Shape(2, c, h, w));
      NDList out = block.forward(new ParameterStore(m, false),
          new NDList(m.randomNormal(new Shape(2, c, h, w))), true);
      assertEquals(new Shape(2, 10), out.singletonOrThrow().getShape());
      System.out.println(kind + " " + c + "x" + h + "x" + w + ": "
          + block.getParameters().size() + " parameter tensors");
    }
  }

  @Test
  void resnet18PreconditionsConvolutionsUpTo512By4608() {
    try (NDManager m = NDManager.newBaseManager()) {
      Block block = ModelKind.RESNET18.build(64, 10);
      block.initialize(m, DataType.FLOAT32, new Shape(1, 1, 28, 28));
      long convs = 0;
      long largest = 0;
      long params = 0;
      for (var p : block.getParameters()) {
        Shape s = p.getValue().getArray().getShape();
        if (p.getValue().requiresGradient()) {
          params += s.size(); // batch norm's running statistics are parameters in DJL too
        }
        if (s.dimension() == 4) {
          convs++;
          largest = Math.max(largest, s.get(1) * s.get(2) * s.get(3));
        }
      }
      assertEquals(20, convs, "17 3x3 convolutions and 3 projection shortcuts");
      assertEquals(4608, largest, "512 input channels x 3 x 3");
      // 11,173,962 for CIFAR's 3 input channels, less 2 x 64 x 3 x 3 stem weights.
      assertEquals(11_172_810, params, "ResNet-18's trainable parameters for 1 input channel");
    }
  }

  @Test
  void vitTokensAndWidths() {
    try (NDManager m = NDManager.newBaseManager()) {
      Block block = ModelKind.VIT.build(192, 10);
      block.initialize(m, DataType.FLOAT32, new Shape(1, 1, 28, 28));
      boolean positions = false;
      long linear192 = 0;
      for (var p : block.getParameters()) {
        Shape s = p.getValue().getArray().getShape();
        if (p.getKey().endsWith("positions")) {
          positions = true;
          assertEquals(new Shape(1, 49, 192), s, "7x7 patches of 4x4 pixels");
        }
        if (s.equals(new Shape(192, 192))) {
          linear192++;
        }
      }
      assertTrue(positions);
      assertEquals(6 * 4, linear192, "query, key, value and output projections of 6 blocks");
    }
  }

  @Test
  void vitRejectsImagesThatDoNotSplitIntoPatches() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelKind.VIT.checkInput(1, 30, 28));
    assertTrue(e.getMessage().contains("multiples of 4"), e.getMessage());
    ModelKind.VIT.checkInput(1, 28, 28);
    ModelKind.RESNET18.checkInput(3, 5, 7);
  }

  @ParameterizedTest
  @CsvSource({"MLP", "RESNET", "RESNET18", "VIT"})
  void rejectsTooNarrowModels(ModelKind kind) {
    assertThrows(IllegalArgumentException.class, () -> kind.build(2, 10));
  }
}
