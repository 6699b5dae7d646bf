package org.shampoo4j.quant;

import java.util.Random;

/**
 * Codebooks built inside quant-api's tests (the real maps live in modules this one cannot see):
 * an evenly spaced map, a Linear-2-like squared map, and random maps for property tests.
 */
final class TestCodebooks {
  private TestCodebooks() {}

  /** Evenly spaced values from -1 to 1 (both ends included). */
  static Codebook linear(int bits) {
    int size = 1 << bits;
    float[] v = new float[size];
    for (int j = 0; j < size; j++) {
      v[j] = size == 1 ? 0f : -1f + 2f * j / (size - 1);
    }
    v[0] = -1f;
    v[size - 1] = 1f;
    return Codebook.of("test-linear", bits, v);
  }

  /** Signed squares of evenly spaced values: dense near zero, ends at ±1, like Linear-2. */
  static Codebook squared(int bits) {
    int size = 1 << bits;
    float[] v = new float[size];
    for (int j = 0; j < size; j++) {
      double t = -1.0 + 2.0 * j / (size - 1);
      v[j] = (float) (Math.signum(t) * t * t);
    }
    return Codebook.of("test-squared", bits, v);
  }

  /**
   * Random strictly increasing values in [-1, 1]; with {@code withEnds} the first and last are
   * exactly -1 and 1 (so a block's absmax element always decodes to its scale).
   */
  static Codebook random(int bits, Random r, boolean withEnds) {
    int size = 1 << bits;
    float[] v;
    do {
      // Cumulative random gaps give increasing values in [-1, 1]; a signed power (monotone)
      // sometimes clusters them near zero, like the real maps; uneven stretching of the two
      // signs (and, without ends, shrinking) makes them asymmetric.
      double[] t = new double[size];
      double sum = 0;
      for (int j = 0; j < size; j++) {
        sum += 0.05 + r.nextDouble();
        t[j] = sum;
      }
      double first = t[0];
      double last = t[size - 1];
      int power = 1 + r.nextInt(3);
      double negative = withEnds ? 1 : 0.5 + 0.5 * r.nextDouble();
      double positive = withEnds ? 1 : 0.5 + 0.5 * r.nextDouble();
      v = new float[size];
      for (int j = 0; j < size; j++) {
        double u = -1 + 2 * (t[j] - first) / (last - first);
        double w = Math.signum(u) * Math.pow(Math.abs(u), power);
        v[j] = (float) (w < 0 ? w * negative : w * positive);
      }
    } while (!strictlyIncreasing(v));
    return Codebook.of("test-random", bits, v);
  }

  // Neighbours at least 0.1 % apart (relative), as in every real map: a codebook of adjacent
  // floats would have midpoints that round onto its own values.
  private static boolean strictlyIncreasing(float[] v) {
    for (int j = 1; j < v.length; j++) {
      float gap = v[j] - v[j - 1];
      if (!(gap > 1e-3f * Math.max(Math.abs(v[j]), Math.abs(v[j - 1])) && gap > 1e-30f)) {
        return false;
      }
    }
    return true;
  }
}
