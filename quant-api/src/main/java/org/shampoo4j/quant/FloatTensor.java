package org.shampoo4j.quant;

import java.util.Arrays;
import java.util.Objects;

/** An immutable fp32 tensor on the Java heap: row-major values and a shape. */
public final class FloatTensor {
  private final float[] data;
  private final int[] shape;

  private FloatTensor(float[] data, int[] shape) {
    if (Shapes.elementCount(shape) != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " needs " + Shapes.elementCount(shape)
              + " values, got " + data.length);
    }
    this.data = data;
    this.shape = shape;
  }

  /** A tensor holding a copy of {@code data} with the given shape. */
  public static FloatTensor of(float[] data, int... shape) {
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(shape, "shape");
    return new FloatTensor(data.clone(), shape.clone());
  }

  // Takes ownership of arrays the quantizer just allocated, saving a copy of large outputs.
  static FloatTensor wrap(float[] data, int[] shape) {
    return new FloatTensor(data, shape.clone());
  }

  /** A one-dimensional tensor holding a copy of {@code data}. */
  public static FloatTensor vector(float... data) {
    return of(data, data.length);
  }

  /** A copy of the values, row-major. */
  public float[] data() {
    return data.clone();
  }

  /** A copy of the shape. */
  public int[] shape() {
    return shape.clone();
  }

  /** Number of elements. */
  public int size() {
    return data.length;
  }

  /** Element {@code i} in row-major order. */
  public float get(int i) {
    return data[i];
  }

  // Read-only access for the quantizer, which must not copy large inputs.
  float[] raw() {
    return data;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FloatTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "FloatTensor" + Arrays.toString(shape);
  }
}
