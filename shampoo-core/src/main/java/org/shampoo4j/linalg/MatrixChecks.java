package org.shampoo4j.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Argument checks shared by this package. They read only shapes and types (host metadata), never
 * values, so they cost no device synchronisation; NaN/Inf inside a matrix is therefore not
 * detected here.
 */
final class MatrixChecks {
  private MatrixChecks() {}

  /** Throws unless {@code a} is a non-empty square float32 matrix. */
  static void requireSquareFloat(NDArray a, String name) {
    Shape s = requireFloatMatrix(a, name);
    if (s.get(0) != s.get(1)) {
      throw new IllegalArgumentException(name + " must be a square matrix, got shape " + s);
    }
  }

  /** Throws unless {@code a} is a non-empty float32 matrix with at least as many rows as columns. */
  static void requireTallFloat(NDArray a, String name) {
    Shape s = requireFloatMatrix(a, name);
    if (s.get(0) < s.get(1)) {
      throw new IllegalArgumentException(
          name + " must have at least as many rows as columns, got shape " + s);
    }
  }

  /** Throws unless {@code p} is a usable root order. */
  static void requireRoot(int p) {
    if (p < 1) {
      throw new IllegalArgumentException("root p must be a positive integer, got " + p);
    }
  }

  private static Shape requireFloatMatrix(NDArray a, String name) {
    if (a == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    Shape s = a.getShape();
    if (s.dimension() != 2 || s.get(0) == 0 || s.get(1) == 0) {
      throw new IllegalArgumentException(name + " must be a non-empty matrix, got shape " + s);
    }
    if (a.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(name + " must be float32, got " + a.getDataType());
    }
    return s;
  }
}
