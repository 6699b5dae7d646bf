package org.shampoo4j.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;
import java.util.Random;

/**
 * A deterministic He-normal initializer driven by a Java {@link Random} with a fixed seed, so
 * that two trainings of the same problem start from identical weights on any engine or device
 * (DJL's own initializers use the engine's global generator). Values are drawn on the host at
 * initialization only.
 */
public final class SeededInitializer implements Initializer {
  private final Random random;

  /** An initializer whose draws are fixed by {@code seed}. */
  public SeededInitializer(long seed) {
    this.random = new Random(seed);
  }

  @Override
  public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
    int n = Math.toIntExact(shape.size());
    long fanIn = shape.dimension() < 2 ? 1 : shape.size() / shape.get(0);
    double std = Math.sqrt(2.0 / fanIn);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (random.nextGaussian() * std);
    }
    return manager.create(v, shape).toType(dataType, false);
  }
}
