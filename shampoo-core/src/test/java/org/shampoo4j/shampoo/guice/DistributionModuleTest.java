package org.shampoo4j.shampoo.guice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ai.djl.Device;
import com.google.inject.Guice;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.distributed.BlockCost;
import org.shampoo4j.shampoo.distributed.DeviceGroup;
import org.shampoo4j.shampoo.distributed.GradientReduction;
import org.shampoo4j.shampoo.distributed.Replicated;
import org.shampoo4j.shampoo.distributed.Sharded;

/** The distribution is chosen by a Guice module, replicated unless DistributionModule chooses another. */
class DistributionModuleTest {
  @Test
  void replicatedByDefaultShardedWithTheModule() {
    ShampooConfig config = ShampooConfig.builder().build();
    try (ShampooOptimizer plain = Guice.createInjector(new ShampooModule(config),
        new FullMatrixModule()).getInstance(ShampooOptimizer.class)) {
      assertInstanceOf(Replicated.class, plain.distribution());
      assertEquals(GradientReduction.SUM, plain.distribution().reduction());
    }
    Sharded sharded = Sharded.builder(DeviceGroup.simulated(3, Device.cpu()))
        .cost(BlockCost.ROOT_WORK).build();
    try (ShampooOptimizer shampoo = Guice.createInjector(new ShampooModule(config),
        new FullMatrixModule(), new DistributionModule(sharded)).getInstance(ShampooOptimizer.class)) {
      assertEquals(sharded, shampoo.distribution());
      assertEquals("sharded(3)", shampoo.distribution().name());
      assertEquals(GradientReduction.MEAN, shampoo.distribution().reduction());
    }
  }
}
