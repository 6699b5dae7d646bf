package org.shampoo4j.bench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.shampoo4j.bench.data.Augmentation;
import org.shampoo4j.bench.data.SyntheticDataset;
import org.shampoo4j.bench.data.TrainTestSplit;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.variant.OptimizerVariant;
import org.shampoo4j.bench.variant.VariantCatalogue;
import org.shampoo4j.bench.variant.VariantSettings;

class ModelTrainerTest {
  private static final TrainTestSplit DATA = SyntheticDataset.generate(256, 64, 5);

  private static ModelTrainer trainer(int epochs) {
    return new ModelTrainer(DATA, ModelKind.MLP,
        TrainingSettings.builder().epochs(epochs).batchSize(32).width(32).seed(9)
            .progress(false).build());
  }

  @Test
  void sameSeedSameVariantGivesTheSameRun() {
    OptimizerVariant sgd = VariantCatalogue.standard().select(List.of("sgd")).get(0);
    VariantSettings s = VariantSettings.builder().build();
    RunResult a = trainer(2).train(sgd, s);
    RunResult b = trainer(2).train(sgd, s);
    System.out.println("run a " + a.epochs());
    assertTrue(a.failure().isEmpty(), a.failure().toString());
    assertEquals(2, a.epochs().size());
    assertEquals(16, a.steps(), "2 epochs of 256/32 batches");
    assertEquals(a.finalTrainLoss(), b.finalTrainLoss());
    assertEquals(a.finalTestAccuracy(), b.finalTestAccuracy());
    assertTrue(a.stateMemory().total() > 0, "momentum buffers are counted");
    // One device: one per-device entry holding all of the state.
    assertEquals(1, a.deviceState().size());
    assertEquals(a.stateMemory(), a.deviceState().get(0).total());
  }

  /**
   * The device-side loop (data uploaded once, batches gathered and augmented on the device, sums
   * read once per epoch) against the host path (each batch assembled, augmented and copied from
   * the host): the same images in the same order and the same operations on them, accumulated in
   * the same order (train loss: a float32 sum on the device in both; test loss: float32 batch
   * means added in float64, on the host or on the device), so the epoch records are equal
   * exactly, not merely within a summation-order tolerance.
   */
  @Test
  void dataOnTheDeviceGivesExactlyTheHostPathsEpochs() {
    OptimizerVariant sgd = VariantCatalogue.standard().select(List.of("sgd")).get(0);
    VariantSettings s = VariantSettings.builder().build();
    for (ModelKind kind : List.of(ModelKind.MLP, ModelKind.RESNET)) {
      RunResult[] runs = new RunResult[2];
      for (int i = 0; i < 2; i++) {
        runs[i] = new ModelTrainer(DATA, kind, TrainingSettings.builder().epochs(2).batchSize(48)
            .width(16).seed(3).progress(false).augmentation(Augmentation.cropAndFlip(2))
            .dataOnDevice(i == 1).build()).train(sgd, s);
        assertTrue(runs[i].failure().isEmpty(), runs[i].failure().toString());
      }
      System.out.println(kind + " host " + runs[0].epochs() + "\n device " + runs[1].epochs());
      for (int e = 0; e < 2; e++) {
        EpochRecord host = runs[0].epochs().get(e);
        EpochRecord device = runs[1].epochs().get(e);
        assertEquals(host.trainLoss(), device.trainLoss(), 0.0, kind + " epoch " + e);
        assertEquals(host.testLoss(), device.testLoss(), 0.0, kind + " epoch " + e);
        assertEquals(host.testAccuracy(), device.testAccuracy(), 0.0, kind + " epoch " + e);
      }
      assertEquals(runs[0].steps(), runs[1].steps());
    }
  }

  @Test
  void shampooEqualsItsBaseUntilTheFirstRootAndTrainingLowersTheLoss() {
    // With T2 beyond the run no inverse root exists, so Shampoo's direction is the gradient:
    // the harness must then give exactly the SGD run (same weights, same batches).
    VariantSettings s = VariantSettings.builder().rootInterval(1000).build();
    List<OptimizerVariant> vs = VariantCatalogue.standard().select(List.of("sgd", "shampoo32"));
    RunResult sgd = trainer(3).train(vs.get(0), s);
    RunResult shampoo = trainer(3).train(vs.get(1), s);
    System.out.println("sgd " + sgd.epochs());
    System.out.println("shampoo32 " + shampoo.epochs());
    for (int e = 0; e < 3; e++) {
      assertEquals(sgd.epochs().get(e).trainLoss(), shampoo.epochs().get(e).trainLoss(), 1e-4);
    }
    assertTrue(sgd.epochs().get(2).trainLoss() < sgd.epochs().get(0).trainLoss(),
        "three epochs of SGD lower the training loss");
    assertTrue(shampoo.stateMemory().total() > sgd.stateMemory().total(),
        "Shampoo keeps statistics on top of the base optimizer's state");
  }
}
