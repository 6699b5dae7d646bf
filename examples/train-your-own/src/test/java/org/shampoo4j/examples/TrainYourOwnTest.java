package org.shampoo4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example as CI runs it against the installed artifacts: it must learn and resume exactly. */
class TrainYourOwnTest {
  @TempDir Path dir;

  @Test
  void trainsSavesAndResumesBitForBit() throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      ArrayDataset data = TrainYourOwn.dataset(manager, 1024, 7);
      TrainYourOwn.Outcome straight = TrainYourOwn.train(data, 5, null, dir.resolve("straight"));
      TrainYourOwn.Outcome first = TrainYourOwn.train(data, 3, null, dir.resolve("a"));
      TrainYourOwn.Outcome resumed = TrainYourOwn.train(data, 2, dir.resolve("a"), dir.resolve("b"));

      assertTrue(first.lossAfter() < 0.5f * first.lossBefore(),
          "3 epochs should at least halve the loss: " + first);
      assertEquals(first.lossAfter(), resumed.lossBefore(),
          "the resumed model starts where the saved one ended");
      assertTrue(resumed.lossAfter() < resumed.lossBefore(), "resumed training goes on learning");
      // 3 epochs, save, load, 2 epochs == 5 epochs: weights and optimizer state were restored.
      assertEquals(straight.weights().size(), resumed.weights().size());
      for (int i = 0; i < straight.weights().size(); i++) {
        assertArrayEquals(straight.weights().get(i), resumed.weights().get(i), 0f, "parameter " + i);
      }
      assertTrue(resumed.memory().contains("codes"), "the memory report:\n" + resumed.memory());
    }
  }

  /**
   * The trap the example avoids: weights loaded after {@code trainer.initialize} are new arrays
   * that the trainer does not hold and that record no gradients, so training leaves them as they
   * were loaded.
   */
  @Test
  void weightsLoadedAfterInitializeAreNotTrained() throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      ArrayDataset data = TrainYourOwn.dataset(manager, 256, 7);
      TrainYourOwn.train(data, 1, null, dir.resolve("saved"));
      try (Model model = Model.newInstance(TrainYourOwn.NAME)) {
        model.setBlock(TrainYourOwn.mlp());
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
        try (Trainer trainer = model.newTrainer(
            new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd))) {
          trainer.initialize(new Shape(1, TrainYourOwn.FEATURES));
          model.load(dir.resolve("saved"), TrainYourOwn.NAME);   // wrong order
          List<float[]> loaded = TrainYourOwn.weights(model.getBlock());
          EasyTrain.fit(trainer, 1, data, null);
          List<float[]> after = TrainYourOwn.weights(model.getBlock());
          for (int i = 0; i < loaded.size(); i++) {
            assertArrayEquals(loaded.get(i), after.get(i), 0f, "parameter " + i + " moved");
          }
        }
      }
    }
  }
}
