package org.shampoo4j.quant;

import java.util.Objects;

/**
 * How a tensor is quantized block-wise: the codebook and the {@link QuantizationSettings} (block
 * size, how blocks are laid out, the size below which a tensor stays fp32) at the codebook's width.
 * Immutable; build with {@link #builder(Codebook)} or {@link #of(Codebook, QuantizationSettings)}.
 * The settings check their own values; this class only checks that they match the codebook.
 */
public final class QuantizationSpec {
  /** Block size used for Shampoo states (docs/algorithms.md §2). */
  public static final int DEFAULT_BLOCK_SIZE = QuantizationSettings.DEFAULT_BLOCK_SIZE;

  /** Tensors with fewer elements than this stay fp32 by default (docs/algorithms.md §2). */
  public static final int DEFAULT_MIN_QUANTIZED_ELEMENTS =
      QuantizationSettings.DEFAULT_MIN_QUANTIZED_ELEMENTS;

  private final Codebook codebook;
  private final QuantizationSettings settings;

  private QuantizationSpec(Codebook codebook, QuantizationSettings settings) {
    this.codebook = codebook;
    this.settings = settings;
  }

  /**
   * A builder with the defaults: block size 64, {@link Blocking#FLAT} blocks, tensors under 4096
   * elements kept fp32.
   */
  public static Builder builder(Codebook codebook) {
    return new Builder(codebook);
  }

  /** The spec with all defaults of {@link #builder(Codebook)} for the given codebook. */
  public static QuantizationSpec of(Codebook codebook) {
    return builder(codebook).build();
  }

  /**
   * The spec of {@code codebook} under {@code settings}.
   *
   * @throws IllegalArgumentException if the codebook's width is not {@code settings.bits()}
   */
  public static QuantizationSpec of(Codebook codebook, QuantizationSettings settings) {
    Objects.requireNonNull(codebook, "codebook");
    Objects.requireNonNull(settings, "settings");
    if (codebook.bits() != settings.bits()) {
      throw new IllegalArgumentException("codebook " + codebook.id() + " has " + codebook.bits()
          + " bits, the quantization settings " + settings.bits());
    }
    return new QuantizationSpec(codebook, settings);
  }

  /** The codebook codes index into. */
  public Codebook codebook() {
    return codebook;
  }

  /** The settings, whose {@link QuantizationSettings#bits() bits} are the codebook's. */
  public QuantizationSettings settings() {
    return settings;
  }

  /** Elements per block; each block has one fp32 absmax scale. */
  public int blockSize() {
    return settings.blockSize();
  }

  /** How blocks are laid out: over the flattened tensor or inside rows. */
  public Blocking blocking() {
    return settings.blocking();
  }

  /** The blocks of a tensor of {@code shape} under this spec. */
  public BlockGrid grid(int[] shape) {
    return BlockGrid.of(shape, blockSize(), blocking());
  }

  /** Tensors with fewer elements than this are stored fp32, unquantized. */
  public long minQuantizedElements() {
    return settings.minQuantizedElements();
  }

  /** Whether a tensor of {@code elements} values is quantized under this spec. */
  public boolean quantizes(long elements) {
    return settings.quantizes(elements);
  }

  /** A builder initialised from this spec. */
  public Builder toBuilder() {
    return new Builder(codebook, settings.toBuilder());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QuantizationSpec s
        && settings.equals(s.settings)
        && codebook.equals(s.codebook);
  }

  @Override
  public int hashCode() {
    return Objects.hash(codebook, settings);
  }

  @Override
  public String toString() {
    return "QuantizationSpec[" + codebook.id() + ", block=" + blockSize() + " " + blocking()
        + ", minElements=" + minQuantizedElements() + "]";
  }

  /**
   * Builder of {@link QuantizationSpec}: the codebook fixes the width, the setters are {@link
   * QuantizationSettings.Builder}'s (and reject a bad value at once).
   */
  public static final class Builder {
    private final Codebook codebook;
    private final QuantizationSettings.Builder settings;

    private Builder(Codebook codebook) {
      this(Objects.requireNonNull(codebook, "codebook"),
          QuantizationSettings.builder().bits(codebook.bits()).blocking(Blocking.FLAT));
    }

    private Builder(Codebook codebook, QuantizationSettings.Builder settings) {
      this.codebook = codebook;
      this.settings = settings;
    }

    /** Elements per block (must be positive). */
    public Builder blockSize(int blockSize) {
      settings.blockSize(blockSize);
      return this;
    }

    /**
     * How blocks are laid out (default {@link Blocking#FLAT}; {@link Blocking#ROWS} keeps every
     * block inside a row, the official layout for square Shampoo states).
     */
    public Builder blocking(Blocking blocking) {
      settings.blocking(blocking);
      return this;
    }

    /**
     * Tensors with fewer elements stay fp32 (0 quantizes everything; {@link Long#MAX_VALUE} makes
     * the quantizer lossless, which tests use as a reference).
     */
    public Builder minQuantizedElements(long minQuantizedElements) {
      settings.minQuantizedElements(minQuantizedElements);
      return this;
    }

    /** Builds the spec. */
    public QuantizationSpec build() {
      return new QuantizationSpec(codebook, settings.build());
    }
  }
}
