package org.shampoo4j.adamw4;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * One moment of an optimizer state as stored between steps (quantized, or fp32 for small tensors),
 * made by a {@link MomentCodec}. Owns device buffers: {@link #close()} frees them.
 */
public interface QuantizedMoment extends AutoCloseable {
  /**
   * The moment in fp32, with its original shape, on the buffers' device. The result and any
   * intermediate handle are attached to {@code into}, typically a per-step scope the caller closes,
   * so nothing accumulates in the state's own manager.
   */
  NDArray decode(NDManager into);

  /**
   * The stored device buffers in a fixed order, read-only: every moment of one codec and shape has
   * the same count, shapes and types ({@link AdamW4Bit}'s gated update selects between two
   * moments buffer by buffer).
   */
  List<NDArray> buffers();

  /**
   * A moment stored like this one with {@code buffers} (in the order of {@link #buffers()}, same
   * types and shapes) taken as they are: no copy, no re-quantization.
   *
   * @throws IllegalArgumentException if the count, a type or a shape differs
   */
  QuantizedMoment withBuffers(List<NDArray> buffers);

  /** The exact bytes of the stored buffers. */
  MemoryFootprint memory();

  /** Adds the stored buffers, exactly as held, under {@code prefix} (for checkpoints). */
  void saveState(StateSnapshot.Builder builder, String prefix);

  /**
   * A moment stored like this one (same codec, shape and layout) with the buffers under {@code
   * prefix}, created in the reader's manager.
   *
   * @throws IllegalArgumentException if a buffer is missing or has another type or shape
   */
  QuantizedMoment restoreState(StateSnapshot.Reader reader, String prefix);

  /** Moves the buffers to {@code manager} and returns this. */
  QuantizedMoment attach(NDManager manager);

  /** Frees the buffers. */
  @Override
  void close();
}
