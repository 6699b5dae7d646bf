package org.shampoo4j.shampoo.guice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.training.loss.Loss;
import com.google.inject.Guice;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.distributed.BlockCost;
import org.shampoo4j.shampoo.distributed.DeviceGroup;
import org.shampoo4j.shampoo.distributed.GradientReduction;
import org.shampoo4j.shampoo.distributed.Replicated;
import org.shampoo4j.shampoo.distributed.Sharded;

/**
 * The distribution is chosen by a Guice module, replicated unless DistributionModule chooses
 * another.
 */
class DistributionModuleTest {
  /**
   * The README's multi-device snippet, up to the training itself (this machine has no GPU; the
   * sharded training is tested with simulated replicas in the distributed package).
   */
  @Test
  void readmeSnippetBuildsAndPlansOwners() {
    ShampooConfig config = ShampooConfig.builder().maxOrder(16).build();
    Device[] devices = {Device.gpu(0), Device.gpu(1)};
    ShampooOptimizer shampoo = Guice.createInjector(new ShampooModule(config),
            new FullMatrixModule(), DistributionModule.sharded(DeviceGroup.of(devices)))
        .getInstance(ShampooOptimizer.class);
    TrainingConfig training = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
        .optOptimizer(shampoo).optDevices(devices);
    assertEquals(2, training.getDevices().length);
    assertEquals("sharded(2)", shampoo.distribution().name());
    // Planning needs initialised parameters only, not the devices.
    try (Model model = Model.newInstance("plan", Device.cpu())) {
      model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(40).build())
          .add(Linear.builder().setUnits(3).build()));
      try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(
          Loss.softmaxCrossEntropyLoss()).optDevices(new Device[] {Device.cpu()}))) {
        trainer.initialize(new Shape(1, 30));
        shampoo.planOwners(model.getBlock());
      }
    }
    shampoo.close();
  }

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
