package org.shampoo4j.quant;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The map-independent quantization settings: code width, block size, how blocks are laid out and
 * the size below which a tensor stays fp32. Immutable, built with {@link #builder()} and validated
 * here only: every class that quantizes (a {@link QuantizationSpec}, a preconditioner context, an
 * optimizer configuration) holds one of these instead of checking the four values again. Combined
 * with a {@link QuantizationMap} (the map is chosen by whoever quantizes) it gives the {@link
 * QuantizationSpec} of a quantizer ({@link #spec(QuantizationMap)}).
 *
 * <p>The allowed values: {@link #bits()} in [1, {@value Codebook#MAX_BITS}] (codes fit in a byte),
 * {@link #blockSize()} at least 1, {@link #minQuantizedElements()} at least 0, a non-null {@link
 * #blocking()}.
 */
public final class QuantizationSettings {
  /** Code width of Shampoo's and AdamW's quantized states. */
  public static final int DEFAULT_BITS = 4;

  /** Block size of Shampoo states (docs/algorithms.md §2). */
  public static final int DEFAULT_BLOCK_SIZE = 64;

  /** Tensors with fewer elements than this stay fp32 by default (docs/algorithms.md §2). */
  public static final int DEFAULT_MIN_QUANTIZED_ELEMENTS = 4096;

  private static final QuantizationSettings DEFAULTS = builder().build();

  private final int bits;
  private final int blockSize;
  private final Blocking blocking;
  private final long minQuantizedElements;

  private QuantizationSettings(Builder b) {
    this.bits = b.bits;
    this.blockSize = b.blockSize;
    this.blocking = b.blocking;
    this.minQuantizedElements = b.minQuantizedElements;
  }

  /**
   * A builder with the defaults of Shampoo's states: {@value #DEFAULT_BITS} bits, blocks of
   * {@value #DEFAULT_BLOCK_SIZE} inside rows ({@link Blocking#ROWS}, the official kernels' layout),
   * tensors under {@value #DEFAULT_MIN_QUANTIZED_ELEMENTS} elements kept fp32.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The settings with every default of {@link #builder()}. */
  public static QuantizationSettings defaults() {
    return DEFAULTS;
  }

  /**
   * Every reason why these values do not form settings, in field order; empty when they do. For
   * configurations that report all their problems in one message rather than the first one only.
   */
  public static List<String> problems(
      int bits, int blockSize, Blocking blocking, long minQuantizedElements) {
    List<String> out = new ArrayList<>();
    addIfPresent(out, bitsProblem(bits));
    addIfPresent(out, blockSizeProblem(blockSize));
    if (blocking == null) {
      out.add("a quantization blocking (ROWS or FLAT) is required");
    }
    addIfPresent(out, minQuantizedElementsProblem(minQuantizedElements));
    return out;
  }

  /** Code width: every code indexes one of {@code 2^bits} codebook values. */
  public int bits() {
    return bits;
  }

  /** Elements per block; each block has one fp32 absmax scale. */
  public int blockSize() {
    return blockSize;
  }

  /** How blocks are laid out: over the flattened tensor or inside rows. */
  public Blocking blocking() {
    return blocking;
  }

  /** Tensors with fewer elements than this are stored fp32, unquantized. */
  public long minQuantizedElements() {
    return minQuantizedElements;
  }

  /** Whether a tensor of {@code elements} values is quantized under these settings. */
  public boolean quantizes(long elements) {
    return elements >= minQuantizedElements;
  }

  /** The spec of a quantizer with {@code map}'s codebook at {@link #bits()} and these settings. */
  public QuantizationSpec spec(QuantizationMap map) {
    return QuantizationSpec.of(Objects.requireNonNull(map, "map").codebook(bits), this);
  }

  /** A builder initialised from these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.bits = bits;
    b.blockSize = blockSize;
    b.blocking = blocking;
    b.minQuantizedElements = minQuantizedElements;
    return b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QuantizationSettings s
        && bits == s.bits
        && blockSize == s.blockSize
        && blocking == s.blocking
        && minQuantizedElements == s.minQuantizedElements;
  }

  @Override
  public int hashCode() {
    return Objects.hash(bits, blockSize, blocking, minQuantizedElements);
  }

  @Override
  public String toString() {
    return "QuantizationSettings[" + bits + "-bit, block=" + blockSize + " " + blocking
        + ", minElements=" + minQuantizedElements + "]";
  }

  private static String bitsProblem(int bits) {
    return bits >= 1 && bits <= Codebook.MAX_BITS ? null
        : "quantization bits must be in [1, " + Codebook.MAX_BITS + "], got " + bits;
  }

  private static String blockSizeProblem(int blockSize) {
    return blockSize >= 1 ? null
        : "quantization block size must be positive (>= 1), got " + blockSize;
  }

  private static String minQuantizedElementsProblem(long minQuantizedElements) {
    return minQuantizedElements >= 0 ? null
        : "minimum quantized size (minQuantizedElements) must be non-negative (>= 0), got "
            + minQuantizedElements;
  }

  private static void addIfPresent(List<String> out, String problem) {
    if (problem != null) {
      out.add(problem);
    }
  }

  private static void require(String problem) {
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  /** Builder of {@link QuantizationSettings}; every setter rejects a bad value at once. */
  public static final class Builder {
    private int bits = DEFAULT_BITS;
    private int blockSize = DEFAULT_BLOCK_SIZE;
    private Blocking blocking = Blocking.ROWS;
    private long minQuantizedElements = DEFAULT_MIN_QUANTIZED_ELEMENTS;

    private Builder() {}

    /**
     * Code width, in [1, {@value Codebook#MAX_BITS}]; default {@value #DEFAULT_BITS}.
     *
     * @throws IllegalArgumentException outside that range
     */
    public Builder bits(int bits) {
      require(bitsProblem(bits));
      this.bits = bits;
      return this;
    }

    /**
     * Elements per block, at least 1; default {@value #DEFAULT_BLOCK_SIZE}.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder blockSize(int blockSize) {
      require(blockSizeProblem(blockSize));
      this.blockSize = blockSize;
      return this;
    }

    /**
     * How blocks are laid out; default {@link Blocking#ROWS} (every block inside a row, the
     * official layout for square Shampoo states).
     */
    public Builder blocking(Blocking blocking) {
      this.blocking = Objects.requireNonNull(blocking, "blocking");
      return this;
    }

    /**
     * Tensors with fewer elements stay fp32, at least 0; default {@value
     * #DEFAULT_MIN_QUANTIZED_ELEMENTS} (0 quantizes everything; {@link Long#MAX_VALUE} makes the
     * quantizer lossless, which tests use as a reference).
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder minQuantizedElements(long minQuantizedElements) {
      require(minQuantizedElementsProblem(minQuantizedElements));
      this.minQuantizedElements = minQuantizedElements;
      return this;
    }

    /** The settings (the setters have checked every value). */
    public QuantizationSettings build() {
      return new QuantizationSettings(this);
    }
  }
}
