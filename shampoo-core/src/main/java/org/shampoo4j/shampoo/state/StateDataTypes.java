package org.shampoo4j.shampoo.state;

import ai.djl.ndarray.types.DataType;
import java.util.List;

/** The data types a checkpoint can hold, with their stable one-byte codes in the file format. */
final class StateDataTypes {
  // The index + 1 is the code in the file: append only, never reorder.
  private static final List<DataType> CODES = List.of(
      DataType.FLOAT32, DataType.UINT8, DataType.INT32, DataType.INT64, DataType.FLOAT64,
      DataType.FLOAT16, DataType.BFLOAT16, DataType.INT8, DataType.BOOLEAN);

  private StateDataTypes() {}

  static List<DataType> supported() {
    return CODES;
  }

  /** The file code of a type; throws for a type checkpoints cannot hold. */
  static int code(DataType type) {
    int i = CODES.indexOf(type);
    if (i < 0) {
      throw new IllegalArgumentException("checkpoints cannot hold arrays of type " + type);
    }
    return i + 1;
  }

  /** The type of a file code, or null if the code is unknown. */
  static DataType of(int code) {
    return code >= 1 && code <= CODES.size() ? CODES.get(code - 1) : null;
  }
}
