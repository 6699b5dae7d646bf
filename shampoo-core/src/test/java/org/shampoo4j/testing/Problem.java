package org.shampoo4j.testing;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.loss.Loss;

/**
 * A small deterministic training problem: a fresh model block (with seeded initialization), its
 * loss, and one full batch of data. {@link TrainingHarness} trains it with any DJL optimizer.
 */
public interface Problem {
  /** A short name for reports. */
  String name();

  /** A new, uninitialised block; every call yields the same initial weights after init. */
  Block newBlock();

  /** The loss to minimise. */
  Loss loss();

  /** Shapes of the inputs, for {@code Trainer.initialize}. */
  Shape[] inputShapes();

  /** The full batch of inputs, created in {@code manager}. */
  NDList data(NDManager manager);

  /** The labels of the batch, created in {@code manager}. */
  NDList labels(NDManager manager);
}
