package org.shampoo4j.adamw4;

import com.google.inject.AbstractModule;
import com.google.inject.Provider;
import com.google.inject.multibindings.OptionalBinder;
import java.util.Objects;
import org.shampoo4j.shampoo.base.BaseOptimizer;

/**
 * Makes {@link AdamW4Bit} Shampoo's base optimizer: it overrides the optional {@link
 * BaseOptimizer} binding that {@link org.shampoo4j.shampoo.guice.ShampooModule} declares (the
 * base-optimizer SPI), so that, combined with a 4-bit preconditioner representation, all of
 * Shampoo's state (preconditioners and the base optimizer's two moments) is 4-bit:
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(
 *     new ShampooModule(config), new Linear2Module(), new EigenBjorckModule(),
 *     new AdamW4BitModule());
 * ShampooOptimizer shampoo = injector.getInstance(ShampooOptimizer.class);
 * }</pre>
 *
 * <p>Each injection of {@link BaseOptimizer} gets a fresh optimizer (optimizers carry
 * per-parameter state); {@code ShampooOptimizer} is a singleton, so it holds exactly one.
 */
public final class AdamW4BitModule extends AbstractModule {
  private final AdamW4BitConfig config;

  /** The module with the paper's defaults ({@link AdamW4BitConfig#defaults()}). */
  public AdamW4BitModule() {
    this(AdamW4BitConfig.defaults());
  }

  /** The module for a given configuration (β's, eps, weight decay, maps, block size). */
  public AdamW4BitModule(AdamW4BitConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    bind(AdamW4BitConfig.class).toInstance(config);
    OptionalBinder.newOptionalBinder(binder(), BaseOptimizer.class)
        .setBinding()
        .toProvider((Provider<BaseOptimizer>) () -> new AdamW4Bit(config));
  }
}
