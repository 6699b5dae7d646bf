package org.shampoo4j.shampoo.guice;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;

/**
 * Guice module that makes "naive" 4-bit Shampoo ({@link NaiveQuantizedRepresentation}: statistic
 * and inverse root quantized directly) the {@link PreconditionerRepresentation}. The {@link
 * QuantizationMap} comes from another module, for example {@code Linear2Module} or {@code
 * DynamicTreeModule}, so the map and the representation are swapped independently.
 */
public final class NaiveQuantizedModule extends AbstractModule {
  /** Creates the module. */
  public NaiveQuantizedModule() {}

  /** The naive 4-bit representation over the injected map. */
  @Provides
  @Singleton
  PreconditionerRepresentation representation(QuantizationMap map) {
    return new NaiveQuantizedRepresentation(map);
  }
}
