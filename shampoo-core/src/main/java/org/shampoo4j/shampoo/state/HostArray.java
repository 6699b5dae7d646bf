package org.shampoo4j.shampoo.state;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * The bytes of one device array copied to the host exactly as stored (data type, shape and raw
 * little-endian contents; no conversion), so that a checkpoint restores packed codes, scales and
 * fp32 parts bit for bit. Immutable: the constructor and {@link #data()} copy.
 */
public final class HostArray {
  private final DataType dataType;
  private final Shape shape;
  private final byte[] data;

  /**
   * An array.
   *
   * @param dataType float32, uint8, int32, int64, float64, float16, bfloat16, int8 or boolean
   * @param shape the shape
   * @param data {@code shape.size()·dataType.getNumOfBytes()} bytes, little-endian
   * @throws IllegalArgumentException if the type is unsupported or the byte count differs
   */
  public HostArray(DataType dataType, Shape shape, byte[] data) {
    this(dataType, shape, data, true);
  }

  /** With {@code copy} false, takes over {@code data} (callers pass an array nobody else holds). */
  private HostArray(DataType dataType, Shape shape, byte[] data, boolean copy) {
    this.dataType = Objects.requireNonNull(dataType, "dataType");
    this.shape = Objects.requireNonNull(shape, "shape");
    StateDataTypes.code(dataType);
    long expected = shape.size() * dataType.getNumOfBytes();
    if (data.length != expected) {
      throw new IllegalArgumentException("an array " + dataType + " " + shape + " needs "
          + expected + " bytes, got " + data.length);
    }
    this.data = copy ? data.clone() : data;
  }

  /** An array over bytes just read, which the caller hands over (no copy). */
  static HostArray wrap(DataType dataType, Shape shape, byte[] data) {
    return new HostArray(dataType, shape, data, false);
  }

  /** Copies a device array to the host, byte for byte. */
  public static HostArray of(NDArray array) {
    requireLittleEndianHost();
    byte[] bytes;
    if (array.size() == 0) {
      bytes = new byte[0];
    } else {
      ByteBuffer buffer = array.toByteBuffer();
      bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
    }
    return new HostArray(array.getDataType(), array.getShape(), bytes, false);
  }

  /** The data type. */
  public DataType dataType() {
    return dataType;
  }

  /** The shape. */
  public Shape shape() {
    return shape;
  }

  /** A copy of the raw little-endian bytes. */
  public byte[] data() {
    return data.clone();
  }

  /** Writes the raw bytes (no copy). */
  void writeTo(java.io.OutputStream out) throws java.io.IOException {
    out.write(data);
  }

  /** Number of data bytes. */
  public int byteCount() {
    return data.length;
  }

  /**
   * A new array in {@code manager} (on its device) with this array's bytes.
   *
   * @param what names the array in messages
   * @param expectedType the data type the state holds
   * @param expectedShape the shape the state holds
   * @throws IllegalArgumentException if the type or shape differs from the expected ones
   */
  public NDArray toNDArray(
      NDManager manager, String what, DataType expectedType, Shape expectedShape) {
    if (dataType != expectedType || !shape.equals(expectedShape)) {
      throw new IllegalArgumentException("array '" + what + "' is " + dataType + " " + shape
          + " in the checkpoint, but the optimizer holds " + expectedType + " " + expectedShape);
    }
    requireLittleEndianHost();
    // Direct and native-ordered, so the engine takes the bytes as they are.
    ByteBuffer buffer = ByteBuffer.allocateDirect(data.length).order(ByteOrder.nativeOrder());
    buffer.put(data).rewind();
    return manager.create(buffer, shape, dataType);
  }

  private static void requireLittleEndianHost() {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new UnsupportedOperationException(
          "checkpoints store little-endian array data; this host is " + ByteOrder.nativeOrder());
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostArray h
        && dataType == h.dataType
        && shape.equals(h.shape)
        && Arrays.equals(data, h.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dataType.hashCode() + shape.hashCode()) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "HostArray[" + dataType + " " + shape + "]";
  }
}
