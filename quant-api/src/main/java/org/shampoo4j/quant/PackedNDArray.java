package org.shampoo4j.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A quantized tensor whose buffers are DJL {@link NDArray}s on some device: packed codes
 * ({@code uint8}), block scales and the values kept in fp32 ({@code float32}). The layout is the
 * same as {@link PackedTensor}'s, so {@link #toHost()} only copies.
 *
 * <p>The content is never modified. The arrays belong to an {@link NDManager}; {@link #close()}
 * frees them and {@link #attach(NDManager)} moves them to another manager.
 */
public final class PackedNDArray implements QuantizedTensor, AutoCloseable {
  private final PackedFormat format;
  private final NDArray codes;
  private final NDArray scales;
  private final NDArray fp32;

  PackedNDArray(
      int[] shape,
      Layout layout,
      String codebookId,
      int bits,
      int blockSize,
      Blocking blocking,
      NDArray codes,
      NDArray scales,
      NDArray fp32) {
    this(new PackedFormat(shape, layout, codebookId, bits, blockSize, blocking), codes, scales,
        fp32);
  }

  private PackedNDArray(PackedFormat format, NDArray codes, NDArray scales, NDArray fp32) {
    this.format = format;
    this.codes = Objects.requireNonNull(codes);
    this.scales = Objects.requireNonNull(scales);
    this.fp32 = Objects.requireNonNull(fp32);
  }

  @Override
  public PackedFormat format() {
    return format;
  }

  /** The packed codes, {@code uint8}; read-only by contract. */
  public NDArray codes() {
    return codes;
  }

  /** The block scales, {@code float32}; read-only by contract. */
  public NDArray scales() {
    return scales;
  }

  /** The fp32 values kept aside (diagonal or all values); read-only by contract. */
  public NDArray fp32() {
    return fp32;
  }

  /** Exact bytes of the three buffers, read from their shapes and data types. */
  @Override
  public MemoryFootprint memory() {
    return new MemoryFootprint(bytesOf(codes), bytesOf(scales), bytesOf(fp32));
  }

  private static long bytesOf(NDArray a) {
    DataType type = a.getDataType();
    return a.size() * type.getNumOfBytes();
  }

  @Override
  public PackedTensor toHost() {
    return new PackedTensor(
        format.shape(), format.layout(), format.codebookId(), format.bits(), format.blockSize(),
        format.blocking(),
        codes.size() == 0 ? new byte[0] : codes.toByteArray(),
        scales.size() == 0 ? new float[0] : scales.toFloatArray(),
        fp32.size() == 0 ? new float[0] : fp32.toFloatArray());
  }

  /**
   * Copies a host packed tensor into new arrays of {@code manager} (on its device): codes as
   * {@code uint8}, scales and fp32 values as {@code float32}. The inverse of {@link #toHost()}.
   */
  public static PackedNDArray fromHost(PackedTensor host, NDManager manager) {
    byte[] codes = host.codes();
    return new PackedNDArray(
        host.shape(), host.layout(), host.codebookId(), host.bits(), host.blockSize(),
        host.blocking(),
        manager.create(ByteBuffer.wrap(codes), new Shape(codes.length), DataType.UINT8),
        manager.create(host.scales()),
        manager.create(host.fp32()));
  }

  /**
   * A packed tensor with this one's description (shape, layout, codebook, bits, blocks) and
   * other buffers of the same data types and shapes, for example read back from a checkpoint. The
   * buffers are taken as they are (no copy, no re-quantization).
   *
   * @throws IllegalArgumentException naming the buffer whose data type or shape differs
   */
  public PackedNDArray withBuffers(NDArray codes, NDArray scales, NDArray fp32) {
    requireLike("codes", this.codes, codes);
    requireLike("scales", this.scales, scales);
    requireLike("fp32 values", this.fp32, fp32);
    return new PackedNDArray(format, codes, scales, fp32);
  }

  private static void requireLike(String what, NDArray expected, NDArray actual) {
    Objects.requireNonNull(actual, what);
    if (expected.getDataType() != actual.getDataType()
        || !expected.getShape().equals(actual.getShape())) {
      throw new IllegalArgumentException(what + " must be " + expected.getDataType() + " "
          + expected.getShape() + ", got " + actual.getDataType() + " " + actual.getShape());
    }
  }

  /** Moves the buffers to {@code manager} (DJL ownership, not content) and returns this. */
  public PackedNDArray attach(NDManager manager) {
    codes.attach(manager);
    scales.attach(manager);
    fp32.attach(manager);
    return this;
  }

  /** The manager that owns the buffers. */
  public NDManager getManager() {
    return codes.getManager();
  }

  /** Frees the buffers. */
  @Override
  public void close() {
    codes.close();
    scales.close();
    fp32.close();
  }

  @Override
  public String toString() {
    return "PackedNDArray[" + format + " bytes=" + memory().total() + " on " + codes.getDevice()
        + "]";
  }
}
