package org.shampoo4j.cholesky;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.CodePacker;
import org.shampoo4j.quant.QuantizationSpec;

/**
 * Turns a lower-triangular factor (and error state) into a {@link StoredFactor} and back, for one
 * order and one {@link StoredFactor.Form}.
 *
 * <p>Quantization (docs/algorithms.md §6 choice): the factor's strictly-lower entries and the error's
 * strictly-lower entries are each flattened in row-major order of the lower triangle and quantized
 * as two separate vectors by {@link BlockCodes} (block-wise absmax), so no block mixes
 * factor and error magnitudes. Entry t of both vectors is the same position (i, j), i &gt; j. In
 * the shared code matrix the factor's code of (i, j) sits at (i, j) and the error's code of (i, j)
 * at the transposed position (j, i); the matrix's n(n−1) off-diagonal codes are packed in
 * row-major order, so 4-bit codes take exactly n(n−1)/2 bytes.
 *
 * <p>All work is tensor operations in the manager of the arrays passed in (callers pass arrays
 * that live in a scope). Immutable.
 */
final class FactorCodec {
  /** A quantized vector: its codes (float32 integers), block scales and dequantized values. */
  record Quantized(NDArray codes, NDArray scales, NDArray values) {}

  private final TriangleLayout layout;
  private final StoredFactor.Form form;
  private final BlockCodes blockCodes;
  private final int blockSize;

  /**
   * A codec.
   *
   * @param order n
   * @param form how the strictly-lower entries are held
   * @param spec the quantization spec of the state (codebook, block size); its minimum size is
   *     not applied to the triangle vectors, whose form the caller has already chosen from the
   *     matrix size
   * @param kernels the quantization kernels of the state's device, owned by the caller
   */
  FactorCodec(int order, StoredFactor.Form form, QuantizationSpec spec, CodeKernels kernels) {
    this.layout = new TriangleLayout(order);
    this.form = Objects.requireNonNull(form, "form");
    this.blockCodes = new BlockCodes(spec.codebook(), spec.blockSize(), kernels);
    this.blockSize = spec.blockSize();
    if (form != StoredFactor.Form.FP32 && order < 2) {
      throw new IllegalArgumentException("an order-" + order + " factor has nothing to quantize");
    }
  }

  /** The layout of this order. */
  TriangleLayout layout() {
    return layout;
  }

  /** The form of stored factors. */
  StoredFactor.Form form() {
    return form;
  }

  /** The code width. */
  int bits() {
    return blockCodes.codebook().bits();
  }

  /**
   * Quantizes a strictly-lower vector (in its manager). In {@link StoredFactor.Form#FP32} the
   * result is lossless: no codes, the values themselves.
   */
  Quantized quantize(NDArray vector) {
    NDManager scope = vector.getManager();
    if (form == StoredFactor.Form.FP32) {
      return new Quantized(
          scope.zeros(new Shape(0)), scope.zeros(new Shape(0)), vector.flatten());
    }
    BlockCodes.Encoded encoded = blockCodes.encode(vector.flatten());
    return new Quantized(
        encoded.codes(), encoded.scales(), blockCodes.decode(encoded.codes(), encoded.scales()));
  }

  /**
   * Stores a factor (and, with error feedback, an error state) in this codec's form; the result's
   * buffers are new arrays in the arguments' manager.
   *
   * @param factor the quantized strictly-lower vector of the factor
   * @param error the quantized strictly-lower vector of the error state, or null without error
   *     feedback
   * @param diagonal the factor's diagonal, fp32
   */
  StoredFactor store(Quantized factor, Quantized error, NDArray diagonal) {
    NDManager scope = diagonal.getManager();
    NDArray empty = scope.zeros(new Shape(0));
    NDArray d = diagonal.toType(DataType.FLOAT32, true);
    switch (form) {
      case FP32:
        return new StoredFactor(
            form, d, scope.zeros(new Shape(0), DataType.UINT8), empty, empty.duplicate(),
            factor.values().duplicate());
      case QUANTIZED:
        return new StoredFactor(
            form, d, blockCodes.pack(factor.codes()), factor.scales().duplicate(),
            empty, empty.duplicate());
      case ERROR_FEEDBACK:
        Objects.requireNonNull(error, "error feedback needs an error state");
        NDArray lowerCodes = layout.lowerMatrix(factor.codes());
        NDArray upperCodes = layout.lowerMatrix(error.codes()).transpose();
        NDArray stream = layout.offDiagonalStream(lowerCodes.add(upperCodes));
        return new StoredFactor(
            form, d, blockCodes.pack(stream), factor.scales().duplicate(),
            error.scales().duplicate(), empty);
      default:
        throw new IllegalStateException("unknown form " + form);
    }
  }

  /**
   * Checks that a stored factor has this codec's form and exactly the buffer sizes it needs (from
   * shapes only, no device read), so that decoding never reads past a buffer or sizes anything by
   * a count the buffers do not back (a checkpoint read back, for example).
   *
   * @throws IllegalArgumentException naming the buffer that does not fit
   */
  void requireFits(StoredFactor stored) {
    if (stored.form() != form) {
      throw new IllegalArgumentException(
          "stored factor has form " + stored.form() + ", this codec reads " + form);
    }
    long pairs = layout.pairs();
    long scales = (pairs + blockSize - 1) / blockSize;
    requireSize("diagonal", stored.diagonal(), layout.order());
    requireSize("fp32 strictly-lower entries", stored.fp32Lower(),
        form == StoredFactor.Form.FP32 ? pairs : 0);
    CodePacker packer = new CodePacker(bits());
    long codes = switch (form) {
      case FP32 -> 0;
      case QUANTIZED -> packer.packedLength(pairs);
      case ERROR_FEEDBACK -> packer.packedLength(2 * pairs);
    };
    requireSize("codes", stored.codes(), codes);
    requireSize("factor scales", stored.factorScales(),
        form == StoredFactor.Form.FP32 ? 0 : scales);
    requireSize("error scales", stored.errorScales(),
        form == StoredFactor.Form.ERROR_FEEDBACK ? scales : 0);
  }

  private void requireSize(String what, NDArray buffer, long expected) {
    if (buffer.size() != expected) {
      throw new IllegalArgumentException("an order-" + layout.order() + " " + form
          + " factor needs " + expected + " " + what + ", got " + buffer.size());
    }
  }

  /** The dequantized strictly-lower vector of the factor (arrays of {@code stored} in scope). */
  NDArray factorLower(StoredFactor stored) {
    requireFits(stored);
    switch (form) {
      case FP32:
        return stored.fp32Lower();
      case QUANTIZED:
        return values(
            blockCodes.unpack(stored.codes(), layout.pairs()), stored.factorScales());
      case ERROR_FEEDBACK:
        return values(layout.strictLower(codeMatrix(stored)), stored.factorScales());
      default:
        throw new IllegalStateException("unknown form " + form);
    }
  }

  /**
   * The dequantized strictly-lower vector of the error state; zeros unless {@link
   * StoredFactor.Form#ERROR_FEEDBACK}.
   */
  NDArray errorLower(StoredFactor stored) {
    requireFits(stored);
    if (form != StoredFactor.Form.ERROR_FEEDBACK) {
      return stored.diagonal().getManager().zeros(new Shape(layout.pairs()));
    }
    NDArray transposedError = codeMatrix(stored).transpose();
    return values(layout.strictLower(transposedError), stored.errorScales());
  }

  /** The rebuilt lower-triangular factor {@code C̃ = D(lower codes) + diag(d)}, n×n. */
  NDArray factorMatrix(StoredFactor stored) {
    NDArray diagonal = stored.diagonal();
    int n = layout.order();
    NDArray strict = layout.lowerMatrix(factorLower(stored));
    return strict.add(diagonal.getManager().eye(n).mul(diagonal.expandDims(0)));
  }

  /** The n×n matrix of codes of the shared code buffer (float32, zero diagonal). */
  NDArray codeMatrix(StoredFactor stored) {
    if (form != StoredFactor.Form.ERROR_FEEDBACK) {
      throw new IllegalStateException("only the error-feedback form has a shared code matrix");
    }
    NDArray stream = blockCodes.unpack(stored.codes(), 2 * layout.pairs());
    return layout.fromOffDiagonalStream(stream);
  }

  private NDArray values(NDArray codes, NDArray scales) {
    return blockCodes.decode(codes, scales);
  }
}
