package org.shampoo4j.testing;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.loss.Loss;
import java.util.Random;

/**
 * A small MLP ({@code features → hidden → ReLU → hidden → ReLU → classes}) on a synthetic,
 * ill-conditioned classification set: latent points z ~ N(0, I), labels the arg-max of a random
 * linear teacher on z, and inputs {@code x = z ⊙ s} with per-feature scales s log-spaced from
 * 0.1 to 10 (so every feature matters for the labels, but the input curvature spans 10⁴).
 * Weights are He-normal from a seeded generator, biases zero. Everything is fixed by the seed.
 */
public final class SyntheticMlp implements Problem {
  private final int samples;
  private final int features;
  private final int hidden;
  private final int classes;
  private final long seed;
  private final float[] x;
  private final float[] y;

  /**
   * A problem.
   *
   * @param samples batch size (the whole data set)
   * @param features input width
   * @param hidden hidden width
   * @param classes number of classes
   * @param seed fixes data and initial weights
   */
  public SyntheticMlp(int samples, int features, int hidden, int classes, long seed) {
    this.samples = samples;
    this.features = features;
    this.hidden = hidden;
    this.classes = classes;
    this.seed = seed;
    Random random = new Random(seed);
    double[] scales = Matrices.logSpaced(0.1, 10, features);
    double[] teacher = new double[features * classes];
    for (int i = 0; i < teacher.length; i++) {
      teacher[i] = random.nextGaussian();
    }
    x = new float[samples * features];
    y = new float[samples];
    for (int s = 0; s < samples; s++) {
      double[] z = new double[features];
      for (int f = 0; f < features; f++) {
        z[f] = random.nextGaussian();
        x[s * features + f] = (float) (z[f] * scales[f]);
      }
      int best = 0;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        double score = 0;
        for (int f = 0; f < features; f++) {
          score += z[f] * teacher[f * classes + c];
        }
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      }
      y[s] = best;
    }
  }

  /** The default instance: 512 samples, 20 features, hidden 32, 4 classes, seed 11. */
  public static SyntheticMlp standard() {
    return new SyntheticMlp(512, 20, 32, 4, 11);
  }

  @Override
  public String name() {
    return "mlp-" + features + "-" + hidden + "-" + classes;
  }

  @Override
  public Block newBlock() {
    SequentialBlock block = new SequentialBlock()
        .add(Linear.builder().setUnits(hidden).build())
        .add(Activation::relu)
        .add(Linear.builder().setUnits(hidden).build())
        .add(Activation::relu)
        .add(Linear.builder().setUnits(classes).build());
    block.setInitializer(new SeededInitializer(seed), Parameter.Type.WEIGHT);
    return block;
  }

  @Override
  public Loss loss() {
    return Loss.softmaxCrossEntropyLoss();
  }

  @Override
  public Shape[] inputShapes() {
    return new Shape[] {new Shape(samples, features)};
  }

  @Override
  public NDList data(NDManager manager) {
    return new NDList(manager.create(x, new Shape(samples, features)));
  }

  @Override
  public NDList labels(NDManager manager) {
    return new NDList(manager.create(y, new Shape(samples)));
  }
}
