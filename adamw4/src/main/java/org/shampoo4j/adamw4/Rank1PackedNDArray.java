package org.shampoo4j.adamw4;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.Objects;
import org.shampoo4j.quant.CodePacker;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.Layout;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * A tensor quantized with rank-1 normalization (docs/algorithms.md §5) whose buffers are DJL {@link NDArray}s on
 * some device: the packed codes ({@code uint8}, {@link org.shampoo4j.quant.CodePacker}'s layout,
 * row-major element order), one fp32 vector of maxima per axis (for a matrix: the row maxima and
 * the column maxima of |x|), and, for the {@link Layout#FP32} layout, all values in fp32.
 *
 * <p>The scale of an element is the minimum, over the axes, of its axis maxima (for a matrix,
 * {@code min(rowMax_i, colMax_j)}). The content is never modified; {@link #close()} frees the
 * buffers and {@link #attach(NDManager)} moves them to another manager.
 */
public final class Rank1PackedNDArray implements AutoCloseable {
  private final int[] shape;
  private final Layout layout;
  private final String codebookId;
  private final int bits;
  private final NDArray codes;
  private final NDList axisMaxima;
  private final NDArray fp32;

  Rank1PackedNDArray(
      int[] shape,
      Layout layout,
      String codebookId,
      int bits,
      NDArray codes,
      NDList axisMaxima,
      NDArray fp32) {
    if (layout == Layout.OFF_DIAGONAL) {
      throw new IllegalArgumentException("rank-1 quantization has no off-diagonal layout");
    }
    this.shape = Objects.requireNonNull(shape, "shape").clone();
    this.layout = Objects.requireNonNull(layout, "layout");
    this.codebookId = Objects.requireNonNull(codebookId);
    this.bits = bits;
    this.codes = Objects.requireNonNull(codes);
    this.axisMaxima = Objects.requireNonNull(axisMaxima);
    this.fp32 = Objects.requireNonNull(fp32);
    validate();
  }

  /**
   * Checks that the buffer sizes add up (from shapes only, no device read), so that the decoder
   * never reads past a buffer or allocates by a size the buffers do not back.
   */
  private void validate() {
    long n = elementCount();
    if (layout == Layout.FP32) {
      requireSize("fp32 values", fp32.size(), n);
      requireSize("codes", codes.size(), 0);
      requireSize("axis maxima vectors", axisMaxima.size(), 0);
      return;
    }
    if (bits < 1 || bits > Codebook.MAX_BITS) {
      throw new IllegalArgumentException("bits must be in [1, 8], got " + bits);
    }
    if (shape.length < 2) {
      throw new IllegalArgumentException("rank-1 normalization needs rank >= 2, got shape "
          + Arrays.toString(shape));
    }
    requireSize("codes", codes.size(), new CodePacker(bits).packedLength(n));
    requireSize("fp32 values", fp32.size(), 0);
    requireSize("axis maxima vectors", axisMaxima.size(), shape.length);
    for (int axis = 0; axis < shape.length; axis++) {
      requireSize("maxima of axis " + axis, axisMaxima.get(axis).size(), shape[axis]);
    }
  }

  private void requireSize(String what, long actual, long expected) {
    if (actual != expected) {
      throw new IllegalArgumentException("rank-1 packed tensor of shape " + Arrays.toString(shape)
          + " (" + layout + ", " + bits + "-bit) needs " + expected + " " + what + ", got "
          + actual);
    }
  }

  /** The logical shape of the quantized tensor. */
  public int[] shape() {
    return shape.clone();
  }

  /** {@link Layout#DENSE} when quantized, {@link Layout#FP32} when kept in full precision. */
  public Layout layout() {
    return layout;
  }

  /** Identity of the codebook the codes index into. */
  public String codebookId() {
    return codebookId;
  }

  /** Code width. */
  public int bits() {
    return bits;
  }

  /**
   * Number of logical elements.
   *
   * @throws IllegalArgumentException (at construction) for a negative dimension or a count that
   *     overflows a long
   */
  public long elementCount() {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException(Arrays.toString(shape) + " has too many elements", e);
      }
    }
    return n;
  }

  /** The packed codes, {@code uint8}; empty for {@link Layout#FP32}; read-only by contract. */
  public NDArray codes() {
    return codes;
  }

  /**
   * The fp32 maximum of |x| along each axis: entry {@code a} has {@code shape[a]} values, the
   * maximum over all elements whose index on axis {@code a} is fixed. Empty for {@link
   * Layout#FP32}; read-only by contract.
   */
  public NDList axisMaxima() {
    return axisMaxima;
  }

  /** All values in fp32 for {@link Layout#FP32}, empty otherwise; read-only by contract. */
  public NDArray fp32() {
    return fp32;
  }

  /**
   * Exact bytes of the buffers, read from their shapes and data types: codes, the axis maxima
   * (counted as scales) and the fp32 values.
   */
  public MemoryFootprint memory() {
    long scaleBytes = 0;
    for (NDArray m : axisMaxima) {
      scaleBytes += bytesOf(m);
    }
    return new MemoryFootprint(bytesOf(codes), scaleBytes, bytesOf(fp32));
  }

  private static long bytesOf(NDArray a) {
    return a.size() * a.getDataType().getNumOfBytes();
  }

  /**
   * A tensor described like this one with the buffers {@code prefix.codes}, {@code
   * prefix.max<axis>} and {@code prefix.fp32} of a checkpoint, created in the reader's manager.
   *
   * @throws IllegalArgumentException if a buffer is missing or has another type or shape
   */
  Rank1PackedNDArray withBuffers(StateSnapshot.Reader reader, String prefix) {
    NDArray newCodes = reader.array(prefix + ".codes", codes);
    NDList maxima = new NDList(axisMaxima.size());
    for (int a = 0; a < axisMaxima.size(); a++) {
      maxima.add(reader.array(prefix + ".max" + a, axisMaxima.get(a)));
    }
    NDArray newFp32 = reader.array(prefix + ".fp32", fp32);
    return new Rank1PackedNDArray(shape, layout, codebookId, bits, newCodes, maxima, newFp32);
  }

  /**
   * A tensor described like this one with other buffers of the same data types and shapes, taken
   * as they are (no copy, no re-quantization).
   *
   * @throws IllegalArgumentException naming the buffer whose data type or shape differs
   */
  Rank1PackedNDArray withBuffers(NDArray newCodes, NDList newMaxima, NDArray newFp32) {
    requireLike("codes", codes, newCodes);
    if (newMaxima.size() != axisMaxima.size()) {
      throw new IllegalArgumentException("axis maxima: " + axisMaxima.size()
          + " vectors expected, got " + newMaxima.size());
    }
    for (int a = 0; a < axisMaxima.size(); a++) {
      requireLike("maxima of axis " + a, axisMaxima.get(a), newMaxima.get(a));
    }
    requireLike("fp32 values", fp32, newFp32);
    return new Rank1PackedNDArray(shape, layout, codebookId, bits, newCodes, newMaxima, newFp32);
  }

  private static void requireLike(String what, NDArray expected, NDArray actual) {
    if (expected.getDataType() != actual.getDataType()
        || !expected.getShape().equals(actual.getShape())) {
      throw new IllegalArgumentException(what + " must be " + expected.getDataType() + " "
          + expected.getShape() + ", got " + actual.getDataType() + " " + actual.getShape());
    }
  }

  /** Moves the buffers to {@code manager} (DJL ownership, not content) and returns this. */
  public Rank1PackedNDArray attach(NDManager manager) {
    codes.attach(manager);
    fp32.attach(manager);
    for (NDArray m : axisMaxima) {
      m.attach(manager);
    }
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
    fp32.close();
    for (NDArray m : axisMaxima) {
      m.close();
    }
  }

  @Override
  public String toString() {
    return "Rank1PackedNDArray[" + Arrays.toString(shape) + " " + layout + " " + codebookId
        + " bytes=" + memory().total() + " on " + codes.getDevice() + "]";
  }
}
