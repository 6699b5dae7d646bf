package org.shampoo4j.adamw4;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Objects;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.state.PackedStates;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * Block-wise absmax storage of a moment through quant-api's {@link NDArrayQuantizer}. The
 * quantizer does not check finiteness: the optimizer's inputs are its own fp32 moments, and the
 * check would cost a host sync per step.
 */
final class BlockwiseMomentCodec implements MomentCodec {
  private final NDArrayQuantizer quantizer;

  BlockwiseMomentCodec(QuantizationSpec spec) {
    this.quantizer = new NDArrayQuantizer(Objects.requireNonNull(spec, "spec"), false);
  }

  BlockwiseMomentCodec(QuantizationSpec spec, CodeKernels kernels) {
    this.quantizer = new NDArrayQuantizer(Objects.requireNonNull(spec, "spec"), false, kernels);
  }

  @Override
  public MomentCodec on(CodeKernels kernels) {
    return new BlockwiseMomentCodec(quantizer.spec(), kernels);
  }

  @Override
  public String describe() {
    QuantizationSpec spec = quantizer.spec();
    return "blockwise(" + spec.codebook().id() + ", B=" + spec.blockSize() + ")";
  }

  @Override
  public QuantizedMoment encode(NDArray moment) {
    return new Stored(quantizer, quantizer.quantize(moment));
  }

  @Override
  public String toString() {
    return describe();
  }

  /** A block-wise quantized moment. */
  private static final class Stored implements QuantizedMoment {
    private final NDArrayQuantizer quantizer;
    private final PackedNDArray packed;

    Stored(NDArrayQuantizer quantizer, PackedNDArray packed) {
      this.quantizer = quantizer;
      this.packed = packed;
    }

    @Override
    public NDArray decode(NDManager into) {
      NDArray decoded = quantizer.dequantize(packed);
      decoded.attach(into);
      return decoded;
    }

    @Override
    public List<NDArray> buffers() {
      return List.of(packed.codes(), packed.scales(), packed.fp32());
    }

    @Override
    public QuantizedMoment withBuffers(List<NDArray> buffers) {
      if (buffers.size() != 3) {
        throw new IllegalArgumentException(
            "a block-wise moment has 3 buffers, got " + buffers.size());
      }
      return new Stored(quantizer,
          packed.withBuffers(buffers.get(0), buffers.get(1), buffers.get(2)));
    }

    @Override
    public MemoryFootprint memory() {
      return packed.memory();
    }

    @Override
    public void saveState(StateSnapshot.Builder builder, String prefix) {
      PackedStates.save(builder, prefix, packed);
    }

    @Override
    public QuantizedMoment restoreState(StateSnapshot.Reader reader, String prefix) {
      return new Stored(quantizer, PackedStates.restore(reader, prefix, packed));
    }

    @Override
    public QuantizedMoment attach(NDManager manager) {
      packed.attach(manager);
      return this;
    }

    @Override
    public void close() {
      packed.close();
    }
  }
}
