package org.shampoo4j.shampoo.guice;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.OptionalBinder;
import java.util.Objects;
import org.shampoo4j.shampoo.distributed.DeviceGroup;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.distributed.Sharded;

/**
 * Chooses how Shampoo spreads its state over the devices of DJL's multi-device training: add it
 * next to {@link ShampooModule} and a representation module. Without it the state is replicated
 * per device and DJL's summed gradient is used as it is ({@link Distribution#replicated()}).
 *
 * <pre>{@code
 * Device[] devices = {Device.gpu(0), Device.gpu(1)};          // the trainer's optDevices
 * Injector injector = Guice.createInjector(new ShampooModule(config), new Linear2Module(),
 *     new EigenBjorckModule(), DistributionModule.sharded(DeviceGroup.of(devices)));
 * }</pre>
 */
public final class DistributionModule extends AbstractModule {
  private final Distribution distribution;

  /** Binds {@code distribution}, for example a {@link Sharded} with explicit settings. */
  public DistributionModule(Distribution distribution) {
    this.distribution = Objects.requireNonNull(distribution, "distribution");
  }

  /** Sharding over {@code group} with the defaults of {@link Sharded#builder}. */
  public static DistributionModule sharded(DeviceGroup group) {
    return new DistributionModule(Sharded.builder(group).build());
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), Distribution.class).setBinding()
        .toInstance(distribution);
  }
}
