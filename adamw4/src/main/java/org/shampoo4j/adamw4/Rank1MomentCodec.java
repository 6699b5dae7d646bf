package org.shampoo4j.adamw4;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * Rank-1 normalized storage of a moment ({@link Rank1Quantizer}) for tensors with at least two
 * dimensions larger than one; dimensions of size one are dropped first, since their maxima would
 * only repeat the others. Vectors fall back to block-wise storage with the same codebook.
 */
final class Rank1MomentCodec implements MomentCodec {
  private final Rank1Quantizer quantizer;
  private final BlockwiseMomentCodec fallback;
  private final QuantizationSpec spec;

  Rank1MomentCodec(QuantizationSpec spec) {
    this.quantizer = new Rank1Quantizer(spec.codebook(), spec.minQuantizedElements(), false);
    this.fallback = new BlockwiseMomentCodec(spec);
    this.spec = spec;
  }

  private Rank1MomentCodec(QuantizationSpec spec, CodeKernels kernels) {
    this.quantizer =
        new Rank1Quantizer(spec.codebook(), spec.minQuantizedElements(), false, kernels);
    this.fallback = new BlockwiseMomentCodec(spec, kernels);
    this.spec = spec;
  }

  @Override
  public MomentCodec on(CodeKernels kernels) {
    return new Rank1MomentCodec(spec, kernels);
  }

  @Override
  public String describe() {
    return "rank1(" + quantizer.codebook().id() + ", vectors B=" + spec.blockSize() + ")";
  }

  @Override
  public QuantizedMoment encode(NDArray moment) {
    Shape shape = moment.getShape();
    long[] kept = Arrays.stream(shape.getShape()).filter(d -> d > 1).toArray();
    if (kept.length < 2) {
      return fallback.encode(moment);
    }
    if (kept.length == shape.dimension()) {
      return new Stored(quantizer, quantizer.quantize(moment), shape);
    }
    try (NDManager scope = moment.getManager().newSubManager()) {
      moment.tempAttach(scope);
      // reshape may return a view of the input; quantize copies into fresh buffers regardless.
      Rank1PackedNDArray packed = quantizer.quantize(moment.reshape(new Shape(kept)));
      packed.attach(scope.getParentManager());
      return new Stored(quantizer, packed, shape);
    }
  }

  @Override
  public String toString() {
    return describe();
  }

  /** A rank-1 quantized moment, remembering its original shape. */
  private static final class Stored implements QuantizedMoment {
    private final Rank1Quantizer quantizer;
    private final Rank1PackedNDArray packed;
    private final Shape shape;

    Stored(Rank1Quantizer quantizer, Rank1PackedNDArray packed, Shape shape) {
      this.quantizer = quantizer;
      this.packed = packed;
      this.shape = shape;
    }

    @Override
    public NDArray decode(NDManager into) {
      NDArray decoded = quantizer.dequantize(packed);
      decoded.attach(into);
      return decoded.reshape(shape);
    }

    @Override
    public List<NDArray> buffers() {
      List<NDArray> out = new ArrayList<>();
      out.add(packed.codes());
      out.addAll(packed.axisMaxima());
      out.add(packed.fp32());
      return out;
    }

    @Override
    public QuantizedMoment withBuffers(List<NDArray> buffers) {
      int axes = packed.axisMaxima().size();
      if (buffers.size() != axes + 2) {
        throw new IllegalArgumentException("this rank-1 moment has " + (axes + 2)
            + " buffers, got " + buffers.size());
      }
      NDList maxima = new NDList(buffers.subList(1, axes + 1).toArray(new NDArray[0]));
      return new Stored(quantizer,
          packed.withBuffers(buffers.get(0), maxima, buffers.get(axes + 1)), shape);
    }

    @Override
    public MemoryFootprint memory() {
      return packed.memory();
    }

    /** {@code prefix.codes}, {@code prefix.max<axis>} for each axis, {@code prefix.fp32}. */
    @Override
    public void saveState(StateSnapshot.Builder builder, String prefix) {
      builder.array(prefix + ".codes", packed.codes());
      for (int a = 0; a < packed.axisMaxima().size(); a++) {
        builder.array(prefix + ".max" + a, packed.axisMaxima().get(a));
      }
      builder.array(prefix + ".fp32", packed.fp32());
    }

    @Override
    public QuantizedMoment restoreState(StateSnapshot.Reader reader, String prefix) {
      return new Stored(quantizer, packed.withBuffers(reader, prefix), shape);
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
