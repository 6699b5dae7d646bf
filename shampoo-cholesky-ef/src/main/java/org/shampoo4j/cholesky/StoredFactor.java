package org.shampoo4j.cholesky;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Objects;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * The device buffers of one stored lower-triangular factor, in one of three {@link Form}s. The
 * content is never modified after construction (a new update builds a new instance); only DJL
 * ownership moves, through {@link #attach} and {@link #tempAttach}. Buffers a form does not use
 * are empty arrays, so {@link #memory()} reads every form the same way.
 */
final class StoredFactor implements AutoCloseable {
  /** How the strictly-lower entries are held. */
  enum Form {
    /** fp32 strictly-lower vector: small orders and lossless specs. */
    FP32,
    /** Codes of the factor's strictly-lower vector only (no error feedback). */
    QUANTIZED,
    /**
     * One packed n×n code matrix without its diagonal: factor codes in the strictly-lower
     * triangle, error codes (transposed) in the strictly-upper triangle.
     */
    ERROR_FEEDBACK
  }

  private final Form form;
  private final NDArray diagonal;
  private final NDArray codes;
  private final NDArray factorScales;
  private final NDArray errorScales;
  private final NDArray fp32Lower;

  StoredFactor(
      Form form,
      NDArray diagonal,
      NDArray codes,
      NDArray factorScales,
      NDArray errorScales,
      NDArray fp32Lower) {
    this.form = Objects.requireNonNull(form);
    this.diagonal = Objects.requireNonNull(diagonal);
    this.codes = Objects.requireNonNull(codes);
    this.factorScales = Objects.requireNonNull(factorScales);
    this.errorScales = Objects.requireNonNull(errorScales);
    this.fp32Lower = Objects.requireNonNull(fp32Lower);
  }

  Form form() {
    return form;
  }

  /** The factor's diagonal, fp32, length n. */
  NDArray diagonal() {
    return diagonal;
  }

  /** The packed codes ({@code uint8}); empty in {@link Form#FP32}. */
  NDArray codes() {
    return codes;
  }

  /** Block scales of the factor's strictly-lower vector; empty in {@link Form#FP32}. */
  NDArray factorScales() {
    return factorScales;
  }

  /** Block scales of the error's strictly-lower vector; empty unless {@link Form#ERROR_FEEDBACK}. */
  NDArray errorScales() {
    return errorScales;
  }

  /** The strictly-lower entries in fp32; empty unless {@link Form#FP32}. */
  NDArray fp32Lower() {
    return fp32Lower;
  }

  /** Exact bytes of the buffers, from their sizes and data types. */
  MemoryFootprint memory() {
    return new MemoryFootprint(
        bytesOf(codes), bytesOf(factorScales) + bytesOf(errorScales),
        bytesOf(diagonal) + bytesOf(fp32Lower));
  }

  /** Adds the five buffers, exactly as stored, under {@code prefix}. */
  void saveState(StateSnapshot.Builder builder, String prefix) {
    builder.array(prefix + ".diagonal", diagonal)
        .array(prefix + ".codes", codes)
        .array(prefix + ".factorScales", factorScales)
        .array(prefix + ".errorScales", errorScales)
        .array(prefix + ".fp32Lower", fp32Lower);
  }

  /** A factor of this form with the buffers under {@code prefix}, in the reader's manager. */
  StoredFactor readState(StateSnapshot.Reader reader, String prefix) {
    return new StoredFactor(form,
        reader.array(prefix + ".diagonal", diagonal),
        reader.array(prefix + ".codes", codes),
        reader.array(prefix + ".factorScales", factorScales),
        reader.array(prefix + ".errorScales", errorScales),
        reader.array(prefix + ".fp32Lower", fp32Lower));
  }

  /** Moves the buffers to {@code manager} for good and returns this. */
  StoredFactor attach(NDManager manager) {
    for (NDArray a : buffers()) {
      a.attach(manager);
    }
    return this;
  }

  /** Lends the buffers to {@code scope} until it closes, so work on them lands in the scope. */
  void tempAttach(NDManager scope) {
    for (NDArray a : buffers()) {
      a.tempAttach(scope);
    }
  }

  /** Frees the buffers. */
  @Override
  public void close() {
    for (NDArray a : buffers()) {
      a.close();
    }
  }

  private NDArray[] buffers() {
    return new NDArray[] {diagonal, codes, factorScales, errorScales, fp32Lower};
  }

  private static long bytesOf(NDArray a) {
    return a.size() * a.getDataType().getNumOfBytes();
  }
}
