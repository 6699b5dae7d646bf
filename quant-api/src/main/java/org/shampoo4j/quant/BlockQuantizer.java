package org.shampoo4j.quant;

/**
 * Block-wise absmax quantization (docs/algorithms.md §2) of tensors of type {@code T}, with packed results of
 * type {@code Q}. Two implementations share this contract and agree bit for bit on the same input:
 * {@link ArrayQuantizer} on the Java heap and {@link NDArrayQuantizer} on DJL devices.
 *
 * <p>Quantization flattens the tensor row-major, splits it into blocks of {@link
 * QuantizationSpec#blockSize()} elements (the last one may be shorter), takes the absolute maximum
 * of each block as its fp32 scale {@code s}, and encodes each element as {@link
 * Codebook#encode(float) encode(x / s)}; an all-zero block (s = 0) encodes every element as
 * {@link Codebook#zeroCode()}. Dequantization multiplies each code's value by its block scale.
 * Tensors smaller than {@link QuantizationSpec#minQuantizedElements()} are kept fp32.
 */
public interface BlockQuantizer<T, Q extends QuantizedTensor> {
  /** The spec this quantizer applies. */
  QuantizationSpec spec();

  /**
   * Quantizes every element.
   *
   * @throws IllegalArgumentException if the tensor is empty or holds a NaN or infinity (the message
   *     names the first such element)
   */
  Q quantize(T tensor);

  /**
   * Quantizes a square matrix keeping its diagonal in fp32 ({@link Layout#OFF_DIAGONAL}).
   *
   * @throws IllegalArgumentException if the tensor is not a square matrix, is empty or is not finite
   */
  Q quantizeOffDiagonal(T squareMatrix);

  /** Rebuilds the tensor from its packed form. */
  T dequantize(Q packed);
}
