package org.shampoo4j.quant;

import java.util.Objects;

/**
 * How a tensor is quantized block-wise: the codebook, the block size, how blocks are laid out
 * ({@link Blocking}) and the size below which a tensor stays fp32. Immutable; build with {@link
 * #builder(Codebook)}.
 */
public final class QuantizationSpec {
  /** Block size used for Shampoo states (docs/algorithms.md §2). */
  public static final int DEFAULT_BLOCK_SIZE = 64;

  /** Tensors with fewer elements than this stay fp32 by default (docs/algorithms.md §2). */
  public static final int DEFAULT_MIN_QUANTIZED_ELEMENTS = 4096;

  private final Codebook codebook;
  private final int blockSize;
  private final Blocking blocking;
  private final long minQuantizedElements;

  private QuantizationSpec(Builder b) {
    this.codebook = b.codebook;
    this.blockSize = b.blockSize;
    this.blocking = b.blocking;
    this.minQuantizedElements = b.minQuantizedElements;
  }

  /**
   * A builder with the defaults: block size 64, {@link Blocking#FLAT} blocks, tensors under 4096
   * elements kept fp32.
   */
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

  /** How blocks are laid out: over the flattened tensor or inside rows. */
  public Blocking blocking() {
    return blocking;
  }

  /** The blocks of a tensor of {@code shape} under this spec. */
  public BlockGrid grid(int[] shape) {
    return BlockGrid.of(shape, blockSize, blocking);
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
    return new Builder(codebook).blockSize(blockSize).blocking(blocking)
        .minQuantizedElements(minQuantizedElements);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QuantizationSpec s
        && blockSize == s.blockSize
        && blocking == s.blocking
        && minQuantizedElements == s.minQuantizedElements
        && codebook.equals(s.codebook);
  }

  @Override
  public int hashCode() {
    return Objects.hash(codebook, blockSize, blocking, minQuantizedElements);
  }

  @Override
  public String toString() {
    return "QuantizationSpec[" + codebook.id() + ", block=" + blockSize + " " + blocking
        + ", minElements=" + minQuantizedElements + "]";
  }

  /** Builder of {@link QuantizationSpec}. */
  public static final class Builder {
    private final Codebook codebook;
    private int blockSize = DEFAULT_BLOCK_SIZE;
    private Blocking blocking = Blocking.FLAT;
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
     * How blocks are laid out (default {@link Blocking#FLAT}; {@link Blocking#ROWS} keeps every
     * block inside a row, the official layout for square Shampoo states).
     */
    public Builder blocking(Blocking blocking) {
      this.blocking = Objects.requireNonNull(blocking, "blocking");
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
