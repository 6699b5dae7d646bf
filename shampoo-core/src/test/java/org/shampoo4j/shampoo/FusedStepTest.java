package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;

/**
 * The fused step ({@link StepKernels}, one TorchScript call per parameter, directions not
 * batched across parameters) against the
 * per-operation DJL path: the weights after several steps agree bit for bit, for every grafting
 * scope, block layout and representation kind (an fp32 root read in place; 3-, 4- and 8-bit
 * roots, off-diagonal or kept fp32 under the minimum size).
 */
class FusedStepTest {

  @Property(tries = 12, seed = "42")
  void fusedAndPerOperationStepsAgreeBitForBit(
      @ForAll @IntRange(min = 2, max = 40) int rows,
      @ForAll @IntRange(min = 2, max = 40) int cols,
      @ForAll @IntRange(min = 3, max = 50) int maxOrder,
      @ForAll @IntRange(min = 0, max = 2) int graftingIndex,
      @ForAll @IntRange(min = 0, max = 2) int representationIndex,
      @ForAll @IntRange(min = 0, max = 2) int bitsIndex,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    Grafting grafting = Grafting.values()[graftingIndex];
    int bits = new int[] {3, 4, 8}[bitsIndex];
    float[] fused = train(true, rows, cols, maxOrder, grafting, representationIndex, bits, seed);
    float[] perOperation =
        train(false, rows, cols, maxOrder, grafting, representationIndex, bits, seed);
    assertArrayEquals(perOperation, fused, 0f);
  }

  @Test
  void convWeightWithNineBlocksKeepsShapeTypeAndValues() {
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer fused = optimizer(true, 5, Grafting.PER_TENSOR, 1, 4);
        ShampooOptimizer plain = optimizer(false, 5, Grafting.PER_TENSOR, 1, 4)) {
      Shape shape = new Shape(12, 2, 3, 2);
      NDArray a = m.zeros(shape);
      NDArray b = m.zeros(shape);
      Random r = new Random(3);
      for (int step = 0; step < 6; step++) {
        float[] g = new float[(int) shape.size()];
        for (int i = 0; i < g.length; i++) {
          g[i] = (float) r.nextGaussian();
        }
        fused.update("conv", a, m.create(g, shape));
        plain.update("conv", b, m.create(g, shape));
      }
      assertEquals(shape, a.getShape());
      assertEquals(DataType.FLOAT32, a.getDataType());
      assertEquals(9, fused.layout("conv").orElseThrow().blockCount());
      assertArrayEquals(b.toFloatArray(), a.toFloatArray(), 0f);
    }
  }

  private static float[] train(boolean fusedStep, int rows, int cols, int maxOrder,
      Grafting grafting, int representationIndex, int bits, int seed) {
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer opt =
            optimizer(fusedStep, maxOrder, grafting, representationIndex, bits)) {
      NDArray w = m.zeros(new Shape(rows, cols));
      Random r = new Random(seed);
      for (int step = 0; step < 7; step++) {
        float[] g = new float[rows * cols];
        for (int i = 0; i < g.length; i++) {
          g[i] = (float) r.nextGaussian();
        }
        opt.update("w", w, m.create(g, new Shape(rows, cols)));
      }
      return w.toFloatArray();
    }
  }

  static ShampooOptimizer optimizer(
      boolean fusedStep, int maxOrder, Grafting grafting, int representationIndex, int bits) {
    PreconditionerRepresentation representation = switch (representationIndex) {
      case 0 -> new FullMatrixRepresentation();
      case 1 -> EigenBjorckRepresentation.builder(new Linear2Map()).build();
      default -> new NaiveQuantizedRepresentation(new Linear2Map());
    };
    ShampooConfig config = ShampooConfig.builder()
        .statisticsInterval(1).rootInterval(3).maxOrder(maxOrder).grafting(grafting)
        .minQuantizedElements(16).quantizationBits(bits).learningRate(0.1f).build();
    // Directions per parameter: the bit-for-bit law is the per-parameter module's
    // (BatchedDirectionsTest bounds the batched one).
    return ShampooOptimizer.builder().config(config).representation(representation)
        .fusedStep(fusedStep).batchedDirections(false).build();
  }
}
