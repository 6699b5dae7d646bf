package org.shampoo4j.bench.data;

import java.util.Random;

/**
 * A seeded synthetic classification task shaped like the digits (1×8×8 inputs, 10 classes): the
 * inputs are standard normal and the label is the arg-max of a fixed random two-layer tanh
 * "teacher" network. The decision boundaries are non-linear but learnable, so optimizers separate
 * on it, and the same seed always gives the same data.
 */
public final class SyntheticDataset {
  private static final int SIDE = 8;
  private static final int CLASSES = 10;
  private static final int TEACHER_HIDDEN = 32;

  private SyntheticDataset() {}

  /**
   * Generates a training and a test set from one teacher.
   *
   * @param trainSize training images, positive
   * @param testSize test images, positive
   * @param seed seed of the teacher and of the inputs
   */
  public static TrainTestSplit generate(int trainSize, int testSize, long seed) {
    if (trainSize < 1 || testSize < 1) {
      throw new IllegalArgumentException(
          "synthetic sizes must be positive, got train " + trainSize + ", test " + testSize);
    }
    Random random = new Random(seed);
    int d = SIDE * SIDE;
    float[][] w1 = gaussian(random, TEACHER_HIDDEN, d, (float) (2.0 / Math.sqrt(d)));
    float[][] w2 = gaussian(random, CLASSES, TEACHER_HIDDEN, (float) (1.0 / Math.sqrt(TEACHER_HIDDEN)));
    return new TrainTestSplit(
        sample("synthetic/train", trainSize, random, w1, w2),
        sample("synthetic/test", testSize, random, w1, w2));
  }

  private static LabeledImages sample(
      String name, int n, Random random, float[][] w1, float[][] w2) {
    int d = SIDE * SIDE;
    float[] pixels = new float[n * d];
    int[] labels = new int[n];
    float[] hidden = new float[w1.length];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        pixels[i * d + j] = (float) random.nextGaussian();
      }
      for (int h = 0; h < w1.length; h++) {
        float s = 0;
        for (int j = 0; j < d; j++) {
          s += w1[h][j] * pixels[i * d + j];
        }
        hidden[h] = (float) Math.tanh(s);
      }
      int best = 0;
      float bestScore = Float.NEGATIVE_INFINITY;
      for (int c = 0; c < w2.length; c++) {
        float s = 0;
        for (int h = 0; h < hidden.length; h++) {
          s += w2[c][h] * hidden[h];
        }
        if (s > bestScore) {
          bestScore = s;
          best = c;
        }
      }
      labels[i] = best;
    }
    return new LabeledImages(name, pixels, labels, 1, SIDE, SIDE, CLASSES);
  }

  private static float[][] gaussian(Random random, int rows, int cols, float scale) {
    float[][] m = new float[rows][cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        m[r][c] = (float) random.nextGaussian() * scale;
      }
    }
    return m;
  }
}
