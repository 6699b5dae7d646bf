package org.shampoo4j.shampoo.guice;

import ai.djl.training.optimizer.Optimizer;
import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.OptionalBinder;
import java.util.Objects;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.shampoo.MatrixFunctionsFactory;
import org.shampoo4j.shampoo.RefreshStacking;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * Binds a ready {@link ShampooOptimizer} (a singleton per injector, also bound as DJL's {@link
 * Optimizer}) from a {@link ShampooConfig}. Combine it with one representation module, which binds
 * {@link PreconditionerRepresentation} ({@link FullMatrixModule}, or a 4-bit one together with the
 * quantizer module that binds {@code QuantizationMap}):
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(
 *     new ShampooModule(config), new Linear2Module(), new EigenBjorckModule());
 * ShampooOptimizer shampoo = injector.getInstance(ShampooOptimizer.class);
 * }</pre>
 *
 * <p>Optional bindings with defaults that other modules may override with {@code
 * OptionalBinder.newOptionalBinder(binder(), X.class).setBinding()}: {@link BaseOptimizer}
 * (default: a fresh instance of {@link ShampooConfig#baseOptimizer()}), {@link
 * MatrixFunctionsFactory} (default: {@link TorchScriptMatrixFunctions}), {@link Distribution}
 * (default: {@link Distribution#replicated()}; {@link DistributionModule} chooses another, for
 * example sharding over several devices) and {@link RefreshStacking} (default: {@link
 * RefreshStacking#GPU_ONLY}).
 */
public final class ShampooModule extends AbstractModule {
  private final ShampooConfig config;

  /** A module for this configuration. */
  public ShampooModule(ShampooConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    bind(ShampooConfig.class).toInstance(config);
    OptionalBinder.newOptionalBinder(binder(), BaseOptimizer.class)
        .setDefault()
        .toProvider((com.google.inject.Provider<BaseOptimizer>) () -> config.baseOptimizer().create());
    OptionalBinder.newOptionalBinder(binder(), MatrixFunctionsFactory.class)
        .setDefault()
        .toInstance(TorchScriptMatrixFunctions::new);
    OptionalBinder.newOptionalBinder(binder(), Distribution.class)
        .setDefault()
        .toInstance(Distribution.replicated());
    OptionalBinder.newOptionalBinder(binder(), RefreshStacking.class)
        .setDefault()
        .toInstance(RefreshStacking.GPU_ONLY);
    bind(Optimizer.class).to(ShampooOptimizer.class);
  }

  /** The optimizer, built from the bound configuration, representation and base optimizer. */
  @Provides
  @Singleton
  ShampooOptimizer shampooOptimizer(ShampooConfig cfg, PreconditionerRepresentation representation,
      BaseOptimizer base, MatrixFunctionsFactory linalg, Distribution distribution,
      RefreshStacking stacking) {
    return ShampooOptimizer.builder()
        .config(cfg)
        .representation(representation)
        .baseOptimizer(base)
        .matrixFunctions(linalg)
        .distribution(distribution)
        .refreshStacking(stacking)
        .build();
  }
}
