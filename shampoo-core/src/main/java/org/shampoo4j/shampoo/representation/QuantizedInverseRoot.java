package org.shampoo4j.shampoo.representation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Objects;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.shampoo.state.PackedStates;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * An inverse root stored as docs/algorithms.md §3 prescribes for the quantized representations: off-diagonal
 * 4-bit codes with block scales and an fp32 diagonal (or all fp32 under the quantizer's minimum
 * size). It starts as the identity, which quantizes exactly. Mutable holder of an immutable
 * {@link PackedNDArray}: {@link #replace} swaps in a new root only once it is fully quantized.
 * Every representation that stores its root in this form (naive, eigen-Björck, Cholesky with
 * error feedback) holds one, so all store, decode and checkpoint the root alike.
 */
public final class QuantizedInverseRoot implements AutoCloseable {
  private final NDArrayQuantizer quantizer;
  private final NDManager owner;
  // The codebook on the device, made once: made per decode, it would be a host-to-device copy
  // (a wait for the GPU) in every step. A constant table of 2^bits floats, not state.
  private final NDArray codebookValues;
  private PackedNDArray packed;

  /**
   * The identity of the given order, its buffers owned by {@code owner}.
   *
   * @param order n of the n×n root
   * @param quantizer how the root is quantized
   * @param owner the manager of the preconditioner state
   */
  public QuantizedInverseRoot(int order, NDArrayQuantizer quantizer, NDManager owner) {
    this.quantizer = Objects.requireNonNull(quantizer, "quantizer");
    this.owner = Objects.requireNonNull(owner, "owner");
    try (NDManager work = owner.newSubManager()) {
      this.packed = quantizer.quantizeOffDiagonal(work.eye(order)).attach(owner);
    }
    this.codebookValues = quantizer.codebookValues(owner);
  }

  /** Quantizes {@code root} (symmetric, n×n) and makes it the stored root. */
  public void replace(NDArray root) {
    PackedNDArray next = quantizer.quantizeOffDiagonal(root).attach(owner);
    packed.close();
    packed = next;
  }

  /** The stored root, dequantized, as a new array attached to {@code manager}. */
  public NDArray dequantize(NDManager manager) {
    NDArray root = quantizer.dequantize(packed, codebookValues);
    root.attach(manager);
    return root;
  }

  /** The stored root for the fused step, packed as stored (the step decodes it). */
  public StepRoot stepRoot() {
    return new StepRoot.Packed(packed, codebookValues);
  }

  /** The stored root as packed, for batched refreshes (read only; {@link #install} swaps). */
  public PackedNDArray packed() {
    return packed;
  }

  /** Adds the packed root's buffers, exactly as stored, under {@code prefix}. */
  public void saveState(StateSnapshot.Builder builder, String prefix) {
    PackedStates.save(builder, prefix, packed);
  }

  /**
   * A root like the stored one with the buffers under {@code prefix}, in the reader's manager;
   * {@link #install} makes it the stored root.
   */
  public PackedNDArray readState(StateSnapshot.Reader reader, String prefix) {
    return PackedStates.restore(reader, prefix, packed);
  }

  /** Makes a root read by {@link #readState} the stored one (it moves to the owner manager). */
  public void install(PackedNDArray restored) {
    restored.attach(owner);
    packed.close();
    packed = restored;
  }

  /** The packed buffers' exact bytes. */
  public MemoryFootprint memory() {
    return packed.memory();
  }

  @Override
  public void close() {
    packed.close();
    codebookValues.close();
  }
}
