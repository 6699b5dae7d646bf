package org.shampoo4j.testing;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;

/**
 * Trains a {@link Problem} for N full-batch steps with a given DJL {@link Optimizer} through a
 * real {@link Trainer} (forward, loss, backward in a {@link GradientCollector}, {@code
 * trainer.step()}), and returns the loss curve. Reading each step's loss to the host is the
 * harness's doing, not the optimizer's.
 */
public final class TrainingHarness {
  private TrainingHarness() {}

  /** Trains on the CPU. */
  public static LossCurve train(Problem problem, Optimizer optimizer, int steps) {
    return train(problem, optimizer, steps, Device.cpu());
  }

  /**
   * Trains on {@code device}.
   *
   * @param problem what to train
   * @param optimizer the optimizer (the caller keeps ownership and closes it)
   * @param steps number of updates, non-negative
   * @param device the device to train on
   */
  public static LossCurve train(Problem problem, Optimizer optimizer, int steps, Device device) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be non-negative, got " + steps);
    }
    float[] losses = new float[steps];
    try (Model model = Model.newInstance(problem.name(), device)) {
      model.setBlock(problem.newBlock());
      DefaultTrainingConfig config = new DefaultTrainingConfig(problem.loss())
          .optOptimizer(optimizer)
          .optDevices(new Device[] {device});
      try (Trainer trainer = model.newTrainer(config)) {
        trainer.initialize(problem.inputShapes());
        NDManager manager = trainer.getManager();
        NDList x = problem.data(manager);
        NDList y = problem.labels(manager);
        for (int i = 0; i < steps; i++) {
          try (NDManager step = manager.newSubManager()) {
            try (GradientCollector collector = trainer.newGradientCollector()) {
              NDList pred = trainer.forward(x);
              NDArray loss = trainer.getLoss().evaluate(y, pred);
              collector.backward(loss);
              losses[i] = loss.getFloat();
              pred.attach(step);
              loss.attach(step);
            }
            trainer.step();
          }
        }
        float finalLoss = evaluate(trainer, x, y);
        return new LossCurve(losses, finalLoss);
      }
    }
  }

  private static float evaluate(Trainer trainer, NDList x, NDList y) {
    try (NDManager scratch = trainer.getManager().newSubManager()) {
      NDList pred = trainer.evaluate(x);
      pred.attach(scratch);
      NDArray loss = trainer.getLoss().evaluate(y, pred);
      loss.attach(scratch);
      return loss.getFloat();
    }
  }
}
