package org.shampoo4j.bench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelKindTest {
  @ParameterizedTest
  @CsvSource({
    "MLP, 1, 8, 8", "MLP, 3, 32, 32",
    "RESNET, 1, 8, 8", "RESNET, 1, 28, 28", "RESNET, 3, 32, 32"
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

  @ParameterizedTest
  @CsvSource({"MLP", "RESNET"})
  void rejectsTooNarrowModels(ModelKind kind) {
    assertThrows(IllegalArgumentException.class, () -> kind.build(2, 10));
  }
}
