package org.shampoo4j.cholesky;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.quant.QuantizationSpec;

/**
 * The inverse root stored as SPEC §3 prescribes: 4-bit codes over the whole n×n matrix with its
 * diagonal zeroed (so the diagonal never sets a block scale), block scales, and the diagonal in
 * fp32; or the whole matrix in fp32 when it has fewer elements than the spec's minimum. Bytes and
 * values equal quant-api's {@code quantizeOffDiagonal} (same codes, same packing). Immutable
 * content; {@link #close()} frees it.
 */
final class StoredRoot implements AutoCloseable {
  private final int order;
  private final BlockCodes blockCodes;
  private final NDArray diagonal;
  private final NDArray codes;
  private final NDArray scales;
  private final NDArray fp32;

  private StoredRoot(
      int order, BlockCodes blockCodes, NDArray diagonal, NDArray codes, NDArray scales,
      NDArray fp32) {
    this.order = order;
    this.blockCodes = blockCodes;
    this.diagonal = diagonal;
    this.codes = codes;
    this.scales = scales;
    this.fp32 = fp32;
  }

  /**
   * Stores a symmetric n×n root; the buffers are created in the root's manager.
   *
   * @param root the inverse root
   * @param spec codebook, block size and the minimum quantized size (applied to n²)
   */
  static StoredRoot of(NDArray root, QuantizationSpec spec) {
    Objects.requireNonNull(root, "root");
    int n = Math.toIntExact(root.getShape().get(0));
    NDManager scope = root.getManager();
    BlockCodes blockCodes = new BlockCodes(spec.codebook(), spec.blockSize());
    NDArray matrix = root.toType(DataType.FLOAT32, false);
    if (!spec.quantizes((long) n * n)) {
      return new StoredRoot(
          n, blockCodes, scope.zeros(new Shape(0)), scope.zeros(new Shape(0), DataType.UINT8),
          scope.zeros(new Shape(0)), matrix.flatten().duplicate());
    }
    NDArray offDiagonal = matrix.mul(scope.eye(n).eq(0).toType(DataType.FLOAT32, false));
    BlockCodes.Encoded encoded = blockCodes.encode(offDiagonal.flatten());
    return new StoredRoot(
        n, blockCodes, matrix.diagonal(),
        CodeStreams.pack(encoded.codes(), spec.codebook().bits()), encoded.scales(),
        scope.zeros(new Shape(0)));
  }

  /** The stored root as a new n×n array in {@code scope}'s manager (buffers lent to it first). */
  NDArray decode(NDManager scope) {
    for (NDArray a : buffers()) {
      a.tempAttach(scope);
    }
    if (fp32.size() > 0) {
      return fp32.reshape(order, order).duplicate();
    }
    long count = (long) order * order;
    NDArray unpacked = CodeStreams.unpack(codes, blockCodes.codebook().bits(), count);
    NDArray eye = scope.eye(order);
    return blockCodes.decode(unpacked, scales).reshape(order, order)
        .mul(eye.eq(0).toType(DataType.FLOAT32, false))
        .add(eye.mul(diagonal.expandDims(0)));
  }

  /** Exact bytes of the buffers. */
  MemoryFootprint memory() {
    return new MemoryFootprint(bytesOf(codes), bytesOf(scales), bytesOf(diagonal) + bytesOf(fp32));
  }

  /** Moves the buffers to {@code manager} for good and returns this. */
  StoredRoot attach(NDManager manager) {
    for (NDArray a : buffers()) {
      a.attach(manager);
    }
    return this;
  }

  @Override
  public void close() {
    for (NDArray a : buffers()) {
      a.close();
    }
  }

  private NDArray[] buffers() {
    return new NDArray[] {diagonal, codes, scales, fp32};
  }

  private static long bytesOf(NDArray a) {
    return a.size() * a.getDataType().getNumOfBytes();
  }
}
