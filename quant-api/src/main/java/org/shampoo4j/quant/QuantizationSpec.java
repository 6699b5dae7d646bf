package org.shampoo4j.quant;

import java.util.Objects;

/**
 * How a tensor is quantized block-wise: the codebook, the block size and the size below which a
 * tensor stays fp32. Immutable; build with {@link #builder(Codebook)}.
 */
public final class QuantizationSpec {
  /** Block size used for Shampoo states (SPEC §2). */
  public static final int DEFAULT_BLOCK_SIZE = 64;

  /** Tensors with fewer elements than this stay fp32 by default (SPEC §2). */
  public static final int DEFAULT_MIN_QUANTIZED_ELEMENTS = 4096;

  private final Codebook codebook;
  private final int blockSize;
  private final long minQuantizedElements;

  private QuantizationSpec(Builder b) {
    this.codebook = b.codebook;
    this.blockSize = b.blockSize;
    this.minQuantizedElements = b.minQuantizedElements;
  }

  /** A builder with the defaults: block size 64, tensors under 4096 elements kept fp32. */
  public static Builder builder(Codebook codebook) {
    return new Builder(codebook);
  }

  /** The spec with all defaults for the given codebook. */
  public static QuantizationSpec of(Codebook codebook) {
    return builder(codebook).build();
  }

  /** The codebook codes index into. */
  public Codebook codebook() {
    return codebook;
  }

  /** Elements per block; each block has one fp32 absmax scale. */
  public int blockSize() {
    return blockSize;
  }

  /** Tensors with fewer elements than this are stored fp32, unquantized. */
  public long minQuantizedElements() {
    return minQuantizedElements;
  }

  /** Whether a tensor of {@code elements} values is quantized under this spec. */
  public boolean quantizes(long elements) {
    return elements >= minQuantizedElements;
  }

  /** A builder initialised from this spec. */
  public Builder toBuilder() {
    return new Builder(codebook).blockSize(blockSize).minQuantizedElements(minQuantizedElements);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QuantizationSpec s
        && blockSize == s.blockSize
        && minQuantizedElements == s.minQuantizedElements
        && codebook.equals(s.codebook);
  }

  @Override
  public int hashCode() {
    return Objects.hash(codebook, blockSize, minQuantizedElements);
  }

  @Override
  public String toString() {
    return "QuantizationSpec[" + codebook.id() + ", block=" + blockSize
        + ", minElements=" + minQuantizedElements + "]";
  }

  /** Builder of {@link QuantizationSpec}. */
  public static final class Builder {
    private final Codebook codebook;
    private int blockSize = DEFAULT_BLOCK_SIZE;
    private long minQuantizedElements = DEFAULT_MIN_QUANTIZED_ELEMENTS;

    private Builder(Codebook codebook) {
      this.codebook = Objects.requireNonNull(codebook, "codebook");
    }

    /** Elements per block (must be positive). */
    public Builder blockSize(int blockSize) {
      if (blockSize <= 0) {
        throw new IllegalArgumentException("block size must be positive, got " + blockSize);
      }
      this.blockSize = blockSize;
      return this;
    }

    /**
     * Tensors with fewer elements stay fp32 (0 quantizes everything; {@link Long#MAX_VALUE} makes
     * the quantizer lossless, which tests use as a reference).
     */
    public Builder minQuantizedElements(long minQuantizedElements) {
      if (minQuantizedElements < 0) {
        throw new IllegalArgumentException(
            "minimum quantized size must be non-negative, got " + minQuantizedElements);
      }
      this.minQuantizedElements = minQuantizedElements;
      return this;
    }

    /** Builds the spec. */
    public QuantizationSpec build() {
      return new QuantizationSpec(this);
    }
  }
}
