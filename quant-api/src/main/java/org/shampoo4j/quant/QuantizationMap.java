package org.shampoo4j.quant;

/**
 * The quantizer SPI: a rule that builds a {@link Codebook} for a bit width.
 *
 * <p>Implementations live in their own modules ({@code quant-linear2}, {@code quant-dynamictree}),
 * each with a Guice module that binds this interface, so swapping maps is swapping one module.
 */
public interface QuantizationMap {
  /** A short stable name, for example {@code linear2} or {@code dynamic-tree}. */
  String name();

  /**
   * The codebook of this map at the given bit width.
   *
   * @throws IllegalArgumentException if this map cannot be built at that width
   */
  Codebook codebook(int bits);
}
