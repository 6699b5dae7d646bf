package org.shampoo4j.cholesky;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Objects;
import org.shampoo4j.quant.Layout;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.representation.StepRoot;
import org.shampoo4j.shampoo.state.PackedStates;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * The inverse root stored as docs/algorithms.md §3 prescribes: 4-bit codes over the whole n×n matrix with its
 * diagonal zeroed (so the diagonal never sets a block scale), block scales, and the diagonal in
 * fp32; or the whole matrix in fp32 when it has fewer elements than the spec's minimum. It is
 * quant-api's {@code quantizeOffDiagonal}, so every representation stores its root alike.
 * Immutable content; {@link #close()} frees it.
 */
final class StoredRoot implements AutoCloseable {
  private final NDArrayQuantizer quantizer;
  private final PackedNDArray packed;
  // The codebook on the root's device, made once: the optimizer decodes the root every step, and
  // a table made from host memory per decode waits for the GPU. A constant, not state.
  private final NDArray codebookValues;

  private StoredRoot(NDArrayQuantizer quantizer, PackedNDArray packed) {
    this.quantizer = quantizer;
    this.packed = packed;
    this.codebookValues = quantizer.codebookValues(packed.getManager());
  }

  /**
   * Stores a symmetric n×n root; the buffers are created in the root's manager.
   *
   * @param root the inverse root
   * @param spec codebook, block size and the minimum quantized size (applied to n²)
   */
  static StoredRoot of(NDArray root, QuantizationSpec spec) {
    Objects.requireNonNull(root, "root");
    // The optimizer validated the gradients, so the root needs no host-side finiteness check.
    NDArrayQuantizer quantizer = new NDArrayQuantizer(spec, false);
    return new StoredRoot(
        quantizer, quantizer.quantizeOffDiagonal(root.toType(DataType.FLOAT32, false)));
  }

  /** How the root is laid out (off-diagonal codes, or fp32 under the spec's minimum). */
  Layout layout() {
    return packed.layout();
  }

  /** The row length of the root's quantization grid. */
  long rowLength() {
    return packed.grid().rowLength();
  }

  /**
   * A root like this one holding the given buffers (a batched refresh's codes, scales and
   * diagonal); the codebook table is made anew, so this root stays valid.
   */
  StoredRoot withBuffers(NDArray codes, NDArray scales, NDArray diagonal) {
    return new StoredRoot(quantizer, packed.withBuffers(codes, scales, diagonal));
  }

  /** The stored root as a new n×n array in {@code scope}. */
  NDArray decode(NDManager scope) {
    NDArray root = quantizer.dequantize(packed, codebookValues);
    root.attach(scope);
    return root;
  }

  /** The root for the fused step, packed as stored. */
  StepRoot stepRoot() {
    return new StepRoot.Packed(packed, codebookValues);
  }

  /** Adds the packed root's buffers, exactly as stored, under {@code prefix}. */
  void saveState(StateSnapshot.Builder builder, String prefix) {
    PackedStates.save(builder, prefix, packed);
  }

  /** A root like this one with the buffers under {@code prefix}, in the reader's manager. */
  StoredRoot readState(StateSnapshot.Reader reader, String prefix) {
    return new StoredRoot(quantizer, PackedStates.restore(reader, prefix, packed));
  }

  /** Exact bytes of the buffers. */
  MemoryFootprint memory() {
    return packed.memory();
  }

  /** Moves the buffers to {@code manager} for good and returns this. */
  StoredRoot attach(NDManager manager) {
    packed.attach(manager);
    codebookValues.attach(manager);
    return this;
  }

  @Override
  public void close() {
    packed.close();
    codebookValues.close();
  }
}
