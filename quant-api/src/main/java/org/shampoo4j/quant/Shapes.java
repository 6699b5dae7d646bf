package org.shampoo4j.quant;

import java.util.Arrays;

/** Shape arithmetic shared by both quantizer paths. */
final class Shapes {
  private Shapes() {}

  static long elementCount(int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException(
            "shape " + Arrays.toString(shape) + " has more elements than a long can count", e);
      }
    }
    return n;
  }

  static long blockCount(long elements, int blockSize) {
    return (elements + blockSize - 1) / blockSize;
  }

  static int squareOrder(int[] shape) {
    if (shape.length != 2 || shape[0] != shape[1]) {
      throw new IllegalArgumentException(
          "off-diagonal quantization needs a square matrix, got shape " + Arrays.toString(shape));
    }
    return shape[0];
  }
}
