package org.shampoo4j.shampoo.guice;

import com.google.inject.AbstractModule;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;

/** Binds the 32-bit {@link FullMatrixRepresentation}; it needs no quantization map. */
public final class FullMatrixModule extends AbstractModule {
  /** The module. */
  public FullMatrixModule() {}

  @Override
  protected void configure() {
    bind(PreconditionerRepresentation.class).toInstance(new FullMatrixRepresentation());
  }
}
