package org.shampoo4j.quant;

import java.util.Arrays;

/** Input checks shared by the quantizers: non-empty and finite, naming the offending element. */
final class Finiteness {
  private Finiteness() {}

  static void requireFinite(float[] x, int[] shape) {
    if (x.length == 0) {
      throw new IllegalArgumentException("cannot quantize an empty tensor");
    }
    for (int i = 0; i < x.length; i++) {
      if (!Float.isFinite(x[i])) {
        throw nonFinite(shape, i, x[i]);
      }
    }
  }

  static IllegalArgumentException nonFinite(int[] shape, long flatIndex, float value) {
    return new IllegalArgumentException(
        "cannot quantize a non-finite value: element " + Arrays.toString(unravel(shape, flatIndex))
            + " (flat index " + flatIndex + ") of a tensor of shape " + Arrays.toString(shape)
            + " is " + value);
  }

  private static long[] unravel(int[] shape, long flat) {
    long[] idx = new long[shape.length];
    for (int d = shape.length - 1; d >= 0; d--) {
      idx[d] = flat % shape[d];
      flat /= shape[d];
    }
    return idx;
  }
}
