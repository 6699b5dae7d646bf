package org.shampoo4j.quant.linear2;

import com.google.inject.AbstractModule;
import org.shampoo4j.quant.QuantizationMap;

/**
 * Guice module that makes Linear-2 the {@link QuantizationMap}; install it (or the dynamic-tree
 * module instead) to pick the map of the 4-bit states.
 */
public final class Linear2Module extends AbstractModule {
  /** Creates the module. */
  public Linear2Module() {}

  @Override
  protected void configure() {
    bind(QuantizationMap.class).to(Linear2Map.class);
  }
}
