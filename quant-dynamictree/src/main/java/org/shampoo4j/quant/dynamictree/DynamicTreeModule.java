package org.shampoo4j.quant.dynamictree;

import com.google.inject.AbstractModule;
import org.shampoo4j.quant.QuantizationMap;

/**
 * Guice module that makes the dynamic tree map the {@link QuantizationMap}; install it (or the
 * Linear-2 module instead) to pick the map of the 4-bit states.
 */
public final class DynamicTreeModule extends AbstractModule {
  /** Creates the module. */
  public DynamicTreeModule() {}

  @Override
  protected void configure() {
    bind(QuantizationMap.class).to(DynamicTreeMap.class);
  }
}
