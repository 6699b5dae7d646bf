package org.shampoo4j.shampoo.bank;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * The buffers of one stored Cholesky factor as {@link BankKernels#accumulateCholesky} reads and
 * returns them, in shampoo-cholesky-ef's layout: the fp32 diagonal, and the strictly-lower
 * entries (row-major order of the lower triangle) in one of three {@link Form}s. Buffers a form
 * does not use are empty. Only a view of arrays owned elsewhere: it closes nothing.
 *
 * @param form how the strictly-lower entries are held
 * @param diagonal the factor's diagonal, float32, length n (the order)
 * @param codes packed codes ({@code uint8}); empty in {@link Form#FP32}
 * @param factorScales block scales of the factor's strictly-lower codes; empty in {@link
 *     Form#FP32}
 * @param errorScales block scales of the error state's codes; empty unless {@link
 *     Form#ERROR_FEEDBACK}
 * @param fp32Lower the strictly-lower entries in float32; empty unless {@link Form#FP32}
 */
public record PackedFactor(Form form, NDArray diagonal, NDArray codes, NDArray factorScales,
    NDArray errorScales, NDArray fp32Lower) {

  /** How the strictly-lower entries are held. */
  public enum Form {
    /** The n(n−1)/2 entries in float32 (no codes, no error state). */
    FP32,
    /** Their codes, packed, with block scales over the entry vector. */
    QUANTIZED,
    /**
     * One packed n×n code matrix without its diagonal (off-diagonal positions in row-major
     * order): the factor's codes at (i, j), i &gt; j, the error state's codes of (i, j) at (j, i),
     * each vector with its own block scales.
     */
    ERROR_FEEDBACK
  }

  /** Checks that no part is null. */
  public PackedFactor {
    Objects.requireNonNull(form, "form");
    Objects.requireNonNull(diagonal, "diagonal");
    Objects.requireNonNull(codes, "codes");
    Objects.requireNonNull(factorScales, "factorScales");
    Objects.requireNonNull(errorScales, "errorScales");
    Objects.requireNonNull(fp32Lower, "fp32Lower");
  }

  /** The order n (the diagonal's length). */
  public int order() {
    return Math.toIntExact(diagonal.size());
  }
}
