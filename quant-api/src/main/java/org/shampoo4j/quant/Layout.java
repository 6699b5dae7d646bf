package org.shampoo4j.quant;

/** How the values of a quantized tensor are stored. */
public enum Layout {
  /** Every element is quantized. */
  DENSE,
  /**
   * A square matrix whose diagonal is kept fp32; the off-diagonal elements are quantized. The codes
   * cover the whole matrix with the diagonal zeroed (so it never sets a block scale); the diagonal
   * positions' codes are ignored on dequantization.
   */
  OFF_DIAGONAL,
  /** Too small to quantize (or a lossless spec): all values kept fp32. */
  FP32
}
