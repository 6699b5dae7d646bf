package org.shampoo4j.bench.data;

import java.util.Objects;

/**
 * A training set and a held-out test set of the same image shape and classes.
 *
 * @param train the images the optimizer sees
 * @param test the images accuracy is measured on
 */
public record TrainTestSplit(LabeledImages train, LabeledImages test) {
  /** Checks that both parts agree on shape and classes. */
  public TrainTestSplit {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
    if (train.channels() != test.channels() || train.height() != test.height()
        || train.width() != test.width() || train.classes() != test.classes()) {
      throw new IllegalArgumentException(
          "train " + train + " and test " + test + " differ in image shape or classes");
    }
  }

  /**
   * The same split with at most {@code maxTrain} training and {@code maxTest} test images (the
   * first ones; the loaders already shuffle where the source is ordered).
   */
  public TrainTestSplit limit(int maxTrain, int maxTest) {
    return new TrainTestSplit(train.head(maxTrain), test.head(maxTest));
  }

  /** A one-line description for the terminal. */
  public String describe() {
    return train + " / " + test;
  }
}
