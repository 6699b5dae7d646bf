package org.shampoo4j.linalg;

/**
 * Arithmetic precision of the symmetric eigensolver in {@link TorchScriptMatrixFunctions}. Inputs
 * and outputs are float32 either way; only the solve differs.
 */
public enum EighPrecision {
  /**
   * Solve in float32. Small eigenvalues come out only to an absolute accuracy of about {@code
   * 1e-7·λmax}, so {@code A^(-1/4)} of a matrix with condition number 1e6 (Shampoo's ridge bound)
   * is off by about 1–2 % (NRE, LINALG.md).
   */
  FLOAT32,
  /**
   * Solve in float64 (the input is widened on the device, the results narrowed): small
   * eigenvalues keep their relative accuracy, and {@code A^(-1/4)} comes within a few times the
   * error that storing A in float32 already causes. About 2× the float32 cost on CPU; on GPUs with
   * weak float64 units (consumer cards) much more.
   */
  FLOAT64
}
