package org.shampoo4j.shampoo.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.shampoo4j.shampoo.Grafting;
import org.shampoo4j.shampoo.RootMethod;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.base.SgdMomentum;

/**
 * The sharded step's law over random shapes, block sizes, replica counts, costs and grafting
 * modes: run through DJL's update sequence, every replica ends bit-identical to one device that
 * was fed DJL's reduced gradient directly, and the per-device memory adds up to the whole.
 */
class ShardedStepPropertiesTest {

  @Property(tries = 12, seed = "1616")
  void shardedReplicasEqualOneDeviceFedTheReducedGradient(
      @ForAll @IntRange(min = 2, max = 14) int rows,
      @ForAll @IntRange(min = 2, max = 14) int cols,
      @ForAll @IntRange(min = 2, max = 9) int maxOrder,
      @ForAll @IntRange(min = 1, max = 3) int replicas,
      @ForAll BlockCost cost,
      @ForAll Grafting grafting,
      @ForAll GradientReduction reduction) {
    ShampooConfig config = ShampooConfig.builder().learningRate(0.05f)
        .baseOptimizer(SgdMomentum.builder().momentum(0.5f).settings())
        .statisticsInterval(1).rootInterval(2).maxOrder(maxOrder).grafting(grafting)
        .rootMethod(RootMethod.EIGH).build();
    Sharded sharded = Sharded.builder(DeviceGroup.simulated(replicas, Device.cpu()))
        .cost(cost).reduction(reduction).build();
    int steps = 5;
    try (NDManager m = NDManager.newBaseManager();
        ShampooOptimizer shard = ShardedShampooTest.optimizer(config, sharded);
        ShampooOptimizer single =
            ShardedShampooTest.optimizer(config, Distribution.replicated())) {
      Shape[] shapes = {new Shape(rows, cols), new Shape(cols)};
      NDArray[][] w = new NDArray[shapes.length][replicas];
      NDArray[] reference = new NDArray[shapes.length];
      Random random = new Random(rows * 1000L + cols * 10L + maxOrder);
      for (int p = 0; p < shapes.length; p++) {
        float[] init = gaussian(random, (int) shapes[p].size());
        for (int r = 0; r < replicas; r++) {
          w[p][r] = m.create(init, shapes[p]);
        }
        reference[p] = m.create(init, shapes[p]);
      }
      for (int s = 0; s < steps; s++) {
        for (int p = 0; p < shapes.length; p++) {
          NDArray[] grads = new NDArray[replicas];
          for (int r = 0; r < replicas; r++) {
            grads[r] = m.create(gaussian(random, (int) shapes[p].size()), shapes[p]);
          }
          NDArray sum = grads[0].duplicate();
          for (int r = 1; r < replicas; r++) {
            sum.addi(grads[r]);
          }
          float scale = reduction.scale(replicas);
          single.update("p" + p, reference[p], scale == 1f ? sum : sum.mul(scale));
          LocalParameterServerReplay.update(shard, "p" + p, grads, w[p]);
        }
      }
      for (int p = 0; p < shapes.length; p++) {
        float[] expected = reference[p].toFloatArray();
        for (int r = 0; r < replicas; r++) {
          assertArrayEquals(expected, w[p][r].toFloatArray(), 0f, "parameter " + p + " replica "
              + r);
        }
      }
      var report = shard.memoryReport();
      assertEquals(report.total().total(),
          report.devices().stream().mapToLong(d -> d.total().total()).sum());
      assertEquals(single.memoryReport().total(), report.total());
    }
  }

  private static float[] gaussian(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }
}
