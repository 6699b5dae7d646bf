package org.shampoo4j.bench.variant;

/**
 * A named way to build an optimizer: a base optimizer alone, or Shampoo composed by Guice from a
 * representation module, a quantization-map module and the Shampoo module.
 */
public interface OptimizerVariant {
  /** The id used on the command line and in reports, for example {@code eigen4-linear2}. */
  String id();

  /** One line saying what the variant is made of. */
  String description();

  /** A fresh optimizer for one run with these settings. */
  OptimizerRun create(VariantSettings settings);
}
