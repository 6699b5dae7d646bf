package org.shampoo4j.examples;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.translate.TranslateException;
import com.google.inject.Guice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.shampoo4j.quant.linear2.Linear2Module;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.guice.EigenBjorckModule;
import org.shampoo4j.shampoo.guice.ShampooModule;
import org.shampoo4j.shampoo.state.ParameterSet;

/**
 * Trains a small MLP with 4-bit Shampoo (Linear-2 eigenvectors + Björck) through DJL's own
 * {@link EasyTrain#fit}, saves weights and optimizer state, and resumes from them.
 *
 * <p>Resuming has one order that works: load the weights into the block <em>before</em>
 * {@code trainer.initialize} (which then marks the loaded arrays as trainable and hands them to
 * the trainer), and the optimizer state <em>after</em> it (the state is placed on the
 * parameters' arrays). Weights loaded with {@code Model.load} after {@code initialize} are fresh
 * arrays without gradients that the trainer never sees: training would silently leave them as
 * loaded.
 */
public final class TrainYourOwn {
  static final int FEATURES = 16;
  static final int CLASSES = 4;
  static final String NAME = "mlp";
  static final String OPTIMIZER_FILE = "optimizer.state";

  /** What one training run ends with. */
  public record Outcome(float lossBefore, float lossAfter, List<float[]> weights, String memory) {}

  private TrainYourOwn() {}

  /** Trains 3 epochs, saves to DIR (default: a new temporary folder), resumes for 2 more. */
  public static void main(String[] args)
      throws IOException, TranslateException, MalformedModelException {
    Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("train-your-own");
    try (NDManager manager = NDManager.newBaseManager()) {
      ArrayDataset data = dataset(manager, 1024, 7);
      Outcome first = train(data, 3, null, dir.resolve("epoch-3"));
      Outcome resumed = train(data, 2, dir.resolve("epoch-3"), dir.resolve("epoch-5"));
      System.out.printf("loss %.4f -> %.4f (epochs 1-3), resumed %.4f -> %.4f (epochs 4-5)%n",
          first.lossBefore(), first.lossAfter(), resumed.lossBefore(), resumed.lossAfter());
      System.out.print(resumed.memory());
    }
  }

  /**
   * Trains {@code epochs} epochs from fresh weights, or from the weights and optimizer state in
   * {@code resumeFrom}, and saves both to {@code saveTo}.
   */
  public static Outcome train(ArrayDataset data, int epochs, Path resumeFrom, Path saveTo)
      throws IOException, TranslateException, MalformedModelException {
    ShampooConfig config = ShampooConfig.builder()
        .learningRate(0.05f)
        .statisticsInterval(10)   // T1: a short run, so refresh more often than the default 100
        .rootInterval(40)         // T2 (default 500)
        .baseOptimizer(SgdMomentum.builder().momentum(0.9f).settings())
        .build();
    try (Model model = Model.newInstance(NAME);
        ShampooOptimizer shampoo = Guice.createInjector(
                new ShampooModule(config), new Linear2Module(), new EigenBjorckModule())
            .getInstance(ShampooOptimizer.class)) {
      model.setBlock(mlp());
      if (resumeFrom != null) {
        model.load(resumeFrom, NAME);            // weights first: before trainer.initialize
      }
      Engine.getInstance().setRandomSeed(42);    // the same initial weights in every fresh run
      DefaultTrainingConfig training = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
          .optOptimizer(shampoo)
          .addTrainingListeners(TrainingListener.Defaults.basic());
      try (Trainer trainer = model.newTrainer(training)) {
        trainer.initialize(new Shape(1, FEATURES));
        ParameterSet parameters = ParameterSet.of(model.getBlock());
        if (resumeFrom != null) {                // optimizer state second: after initialize
          shampoo.loadState(resumeFrom.resolve(OPTIMIZER_FILE), parameters);
        }
        float before = loss(trainer, data);
        EasyTrain.fit(trainer, epochs, data, null);
        float after = loss(trainer, data);
        model.save(saveTo, NAME);
        shampoo.saveState(saveTo.resolve(OPTIMIZER_FILE), parameters);
        String memory = shampoo.memoryReport().withParameterNames(model.getBlock()).toTable();
        return new Outcome(before, after, weights(model.getBlock()), memory);
      }
    }
  }

  /** A 16-64-64-4 MLP: its 64×64 statistics are large enough (4096 elements) to be 4-bit. */
  static Block mlp() {
    return new SequentialBlock()
        .add(Linear.builder().setUnits(64).build()).add(Activation::relu)
        .add(Linear.builder().setUnits(64).build()).add(Activation::relu)
        .add(Linear.builder().setUnits(CLASSES).build());
  }

  /**
   * Built-in data, no download: points labelled by a fixed random linear teacher (the class with
   * the largest score). Batches come in a fixed order (no shuffling), so that a resumed run sees
   * the same batches as an uninterrupted one.
   */
  public static ArrayDataset dataset(NDManager manager, int samples, long seed) {
    Random random = new Random(seed);
    float[] teacher = new float[FEATURES * CLASSES];
    for (int i = 0; i < teacher.length; i++) {
      teacher[i] = (float) random.nextGaussian();
    }
    float[] x = new float[samples * FEATURES];
    float[] y = new float[samples];
    for (int s = 0; s < samples; s++) {
      int best = 0;
      float bestScore = Float.NEGATIVE_INFINITY;
      for (int k = 0; k < CLASSES; k++) {
        float score = 0f;
        for (int f = 0; f < FEATURES; f++) {
          if (k == 0) {
            x[s * FEATURES + f] = (float) random.nextGaussian();
          }
          score += x[s * FEATURES + f] * teacher[f * CLASSES + k];
        }
        if (score > bestScore) {
          bestScore = score;
          best = k;
        }
      }
      y[s] = best;
    }
    return new ArrayDataset.Builder()
        .setData(manager.create(x, new Shape(samples, FEATURES)))
        .optLabels(manager.create(y, new Shape(samples)))
        .setSampling(32, false)
        .build();
  }

  /** Mean training loss over the whole data set, in inference mode (no gradients recorded). */
  static float loss(Trainer trainer, ArrayDataset data) throws IOException, TranslateException {
    float sum = 0f;
    int batches = 0;
    for (Batch batch : trainer.iterateDataset(data)) {
      try (batch; NDList out = trainer.evaluate(batch.getData())) {
        sum += trainer.getLoss().evaluate(batch.getLabels(), out).getFloat();
        batches++;
      }
    }
    return sum / batches;
  }

  /** Copies of every parameter's values, in the block's order. */
  static List<float[]> weights(Block block) {
    return block.getParameters().values().stream().map(p -> p.getArray().toFloatArray()).toList();
  }
}
