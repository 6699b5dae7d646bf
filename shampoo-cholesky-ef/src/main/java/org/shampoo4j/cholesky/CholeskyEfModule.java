package org.shampoo4j.cholesky;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import java.util.Objects;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * Guice module that makes {@link CholeskyEfRepresentation} the optimizer's {@link
 * PreconditionerRepresentation}. The {@link QuantizationMap} comes from another installed module
 * ({@code Linear2Module} for the paper's setting, or {@code DynamicTreeModule}).
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(
 *     new ShampooModule(config), new Linear2Module(), new CholeskyEfModule());
 * }</pre>
 */
public final class CholeskyEfModule extends AbstractModule {
  private final CholeskyEfConfig config;

  /** A module with the default settings (error feedback on, βe = 0). */
  public CholeskyEfModule() {
    this(CholeskyEfConfig.defaults());
  }

  /** A module with the given settings. */
  public CholeskyEfModule(CholeskyEfConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /** Binds the representation (through {@link #representation}). */
  @Override
  protected void configure() {
    // Everything is provided by the @Provides method below; the config is not bound globally so
    // that it cannot collide with other modules.
  }

  /** The representation, built from the injected map and this module's settings. */
  @Provides
  PreconditionerRepresentation representation(QuantizationMap map) {
    return new CholeskyEfRepresentation(map, config);
  }
}
