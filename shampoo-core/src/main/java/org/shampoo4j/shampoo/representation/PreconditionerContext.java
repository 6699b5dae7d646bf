package org.shampoo4j.shampoo.representation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;
import java.util.Optional;
import org.shampoo4j.linalg.InverseRootMethod;
import org.shampoo4j.linalg.MatrixFunctions;
import org.shampoo4j.quant.Blocking;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.quant.QuantizationSettings;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.bank.BankKernels;

/**
 * What a {@link Preconditioner} needs from the optimizer: hyper-parameters, math routines, the
 * quantization settings and the manager that owns its arrays. Immutable; built with {@link
 * #builder()}.
 */
public final class PreconditionerContext {
  private final String label;
  private final float beta;
  private final float epsilon;
  private final int rootExponent;
  private final MatrixFunctions linalg;
  private final InverseRootMethod rootMethod;
  private final NDManager manager;
  private final QuantizationSettings quantization;
  private final BankKernels bank;
  private final CodeKernels codes;

  private PreconditionerContext(Builder b) {
    this.label = b.label;
    this.beta = b.beta;
    this.epsilon = b.epsilon;
    this.rootExponent = b.rootExponent;
    this.linalg = Objects.requireNonNull(b.linalg, "linalg");
    this.rootMethod = Objects.requireNonNull(b.rootMethod, "rootMethod");
    this.manager = Objects.requireNonNull(b.manager, "manager");
    this.quantization = b.quantization.build();
    this.bank = b.bank;
    this.codes = b.codes;
  }

  /** A builder with the documented defaults (docs/algorithms.md): β = 0.95, eps = 1e-6, p = 4, 4-bit, block 64, min 4096. */
  public static Builder builder() {
    return new Builder();
  }

  /** Names the statistic in messages, for example {@code dense0_weight[block 1].L}. */
  public String label() {
    return label;
  }

  /** EMA factor of the statistic. */
  public float beta() {
    return beta;
  }

  /** Initial statistic scale and relative ridge {@code eps·λmax}. */
  public float epsilon() {
    return epsilon;
  }

  /** The root p of {@code S^(−1/p)}; 4 for two-sided Shampoo on matrices. */
  public int rootExponent() {
    return rootExponent;
  }

  /** Dense matrix functions on the state's device. */
  public MatrixFunctions linalg() {
    return linalg;
  }

  /** The configured inverse-root method. */
  public InverseRootMethod rootMethod() {
    return rootMethod;
  }

  /**
   * The batched refresh kernels on the state's device, if the optimizer provides them (DJL's
   * PyTorch engine): representations use them to update many preconditioners in one call.
   */
  public Optional<BankKernels> bank() {
    return Optional.ofNullable(bank);
  }

  /**
   * The quantization kernels on the state's device, if the optimizer owns them: the {@link
   * #quantizer quantizers} of this context run on them.
   */
  public Optional<CodeKernels> codeKernels() {
    return Optional.ofNullable(codes);
  }

  /** The manager that owns the state's arrays (on the parameters' device). */
  public NDManager manager() {
    return manager;
  }

  /** The quantization settings of quantized states; the map is the representation's. */
  public QuantizationSettings quantization() {
    return quantization;
  }

  /** Code width for quantized states ({@link QuantizationSettings#bits()}). */
  public int bits() {
    return quantization.bits();
  }

  /** Quantization block size ({@link QuantizationSettings#blockSize()}). */
  public int blockSize() {
    return quantization.blockSize();
  }

  /**
   * How quantized square states are split into blocks (default: inside rows, as official; {@link
   * QuantizationSettings#blocking()}).
   */
  public Blocking blocking() {
    return quantization.blocking();
  }

  /**
   * Matrices with fewer elements stay fp32 ({@link QuantizationSettings#minQuantizedElements()}).
   */
  public long minQuantizedElements() {
    return quantization.minQuantizedElements();
  }

  /**
   * Checks that {@code gram} is an {@code order}×{@code order} matrix, naming this statistic.
   *
   * @throws IllegalArgumentException if it is not
   */
  public void requireGram(NDArray gram, int order) {
    Shape expected = new Shape(order, order);
    if (!expected.equals(gram.getShape())) {
      throw new IllegalArgumentException(
          "gram for " + label + " must have shape " + expected + ", got " + gram.getShape());
    }
  }

  /** The quantization spec for a map under these settings. */
  public QuantizationSpec quantizationSpec(QuantizationMap map) {
    return quantization.spec(map);
  }

  /**
   * A device quantizer for a map under these settings, on this context's {@link #codeKernels()}
   * when it has them. It skips the finiteness check: the optimizer validates gradients before they
   * reach a preconditioner.
   */
  public NDArrayQuantizer quantizer(QuantizationMap map) {
    return codes != null
        ? new NDArrayQuantizer(quantizationSpec(map), false, codes)
        : new NDArrayQuantizer(quantizationSpec(map), false);
  }

  /** A builder initialised from this context, to derive one with another label or manager. */
  public Builder toBuilder() {
    return builder()
        .label(label).beta(beta).epsilon(epsilon).rootExponent(rootExponent)
        .linalg(linalg).rootMethod(rootMethod).manager(manager).bank(bank).codeKernels(codes)
        .quantization(quantization);
  }

  /** Builder of {@link PreconditionerContext}. */
  public static final class Builder {
    private String label = "statistic";
    private float beta = 0.95f;
    private float epsilon = 1e-6f;
    private int rootExponent = 4;
    private MatrixFunctions linalg;
    private InverseRootMethod rootMethod;
    private NDManager manager;
    private BankKernels bank;
    private CodeKernels codes;
    private QuantizationSettings.Builder quantization = QuantizationSettings.builder();

    private Builder() {}

    /** Label used in messages. */
    public Builder label(String label) {
      this.label = Objects.requireNonNull(label, "label");
      return this;
    }

    /** EMA factor, in [0, 1). */
    public Builder beta(float beta) {
      if (!(beta >= 0f && beta < 1f)) {
        throw new IllegalArgumentException("beta must be in [0, 1), got " + beta);
      }
      this.beta = beta;
      return this;
    }

    /** Initial scale and relative ridge, positive and finite. */
    public Builder epsilon(float epsilon) {
      if (!(epsilon > 0f) || !Float.isFinite(epsilon)) {
        throw new IllegalArgumentException("epsilon must be positive and finite, got " + epsilon);
      }
      this.epsilon = epsilon;
      return this;
    }

    /** The root p, positive. */
    public Builder rootExponent(int rootExponent) {
      if (rootExponent <= 0) {
        throw new IllegalArgumentException("root exponent must be positive, got " + rootExponent);
      }
      this.rootExponent = rootExponent;
      return this;
    }

    /** Matrix functions. */
    public Builder linalg(MatrixFunctions linalg) {
      this.linalg = linalg;
      return this;
    }

    /** Inverse-root method. */
    public Builder rootMethod(InverseRootMethod rootMethod) {
      this.rootMethod = rootMethod;
      return this;
    }

    /** The batched refresh kernels on the state's device (optional, default none). */
    public Builder bank(BankKernels bank) {
      this.bank = bank;
      return this;
    }

    /**
     * The quantization kernels on the state's device, owned (and closed) by the caller; optional,
     * default none (quantizers then run on kernels nobody owns).
     */
    public Builder codeKernels(CodeKernels codes) {
      this.codes = codes;
      return this;
    }

    /** Owner of the state's arrays. */
    public Builder manager(NDManager manager) {
      this.manager = manager;
      return this;
    }

    /**
     * All quantization settings at once; default {@link QuantizationSettings#defaults()} (4 bits,
     * blocks of 64 inside rows, matrices under 4096 elements fp32).
     */
    public Builder quantization(QuantizationSettings settings) {
      this.quantization = Objects.requireNonNull(settings, "settings").toBuilder();
      return this;
    }

    /** Code width, 1 to 8 ({@link QuantizationSettings.Builder#bits}). */
    public Builder bits(int bits) {
      quantization.bits(bits);
      return this;
    }

    /** Quantization block size, positive ({@link QuantizationSettings.Builder#blockSize}). */
    public Builder blockSize(int blockSize) {
      quantization.blockSize(blockSize);
      return this;
    }

    /** How quantized square states are split into blocks; default {@link Blocking#ROWS}. */
    public Builder blocking(Blocking blocking) {
      quantization.blocking(blocking);
      return this;
    }

    /** Matrices with fewer elements stay fp32; non-negative. */
    public Builder minQuantizedElements(long minQuantizedElements) {
      quantization.minQuantizedElements(minQuantizedElements);
      return this;
    }

    /** Builds the context. */
    public PreconditionerContext build() {
      return new PreconditionerContext(this);
    }
  }
}
