package org.shampoo4j.bench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shampoo4j.bench.data.DigitsDataset;
import org.shampoo4j.bench.data.TrainTestSplit;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.variant.VariantCatalogue;
import org.shampoo4j.bench.variant.VariantSettings;

/**
 * 32-bit Shampoo's state on a (narrow) ResNet-18 equals, byte for byte, what docs/algorithms.md §1 says it
 * should be: SGD momentum for every trainable parameter, plus for each block of each matrix view
 * (a convolution as (out, in·k·k), size-1 dimensions dropped, dimensions cut at multiples of the
 * max order) an fp32 statistic and root for L and for R. Checks the reshape and the blocking of
 * the bench's model end to end, through the real trainer and memory report.
 */
class ResNet18PreconditioningTest {
  private static final int MAX_ORDER = 100;

  @Test
  void shampoo32StateMatchesTheBlockedMatrixViewsOfEveryConvolution() {
    TrainTestSplit data = DigitsDataset.split(0.2, 3).limit(16, 16);
    ModelTrainer trainer = new ModelTrainer(data, ModelKind.RESNET18, TrainingSettings.builder()
        .epochs(1).batchSize(16).width(4).seed(5).progress(false).build());
    VariantSettings settings = VariantSettings.builder().maxOrder(MAX_ORDER).build();
    RunResult r = trainer.train(
        VariantCatalogue.standard().select(List.of("shampoo32")).get(0), settings);
    assertTrue(r.failure().isEmpty(), r.failure().toString());

    long expected = 0;
    boolean blocked = false;
    try (NDManager m = NDManager.newBaseManager()) {
      Block block = ModelKind.RESNET18.build(4, 10);
      block.initialize(m, DataType.FLOAT32, new Shape(1, 1, 8, 8));
      for (Pair<String, Parameter> p : block.getParameters()) {
        if (!p.getValue().requiresGradient()) {
          continue; // batch norm's running statistics are not optimized
        }
        Shape s = p.getValue().getArray().getShape();
        expected += 4 * s.size(); // momentum
        long[] kept = Arrays.stream(s.getShape()).filter(d -> d != 1).toArray();
        if (kept.length >= 2) {
          long rows = kept[0];
          long cols = s.size() / rows;
          blocked |= cols > MAX_ORDER;
          for (long rb : blocks(rows)) {
            for (long cb : blocks(cols)) {
              expected += 4 * (2 * rb * rb + 2 * cb * cb); // statistic + root, L and R
            }
          }
        }
      }
    }
    assertTrue(blocked, "the widest 3x3 convolution (32 x 288) is cut at order " + MAX_ORDER);
    assertEquals(expected, r.stateMemory().total());
  }

  private static long[] blocks(long n) {
    int count = (int) ((n + MAX_ORDER - 1) / MAX_ORDER);
    long[] sizes = new long[count];
    for (int i = 0; i < count; i++) {
      sizes[i] = Math.min(MAX_ORDER, n - (long) i * MAX_ORDER);
    }
    return sizes;
  }
}
