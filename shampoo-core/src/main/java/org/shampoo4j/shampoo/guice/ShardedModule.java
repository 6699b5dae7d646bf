package org.shampoo4j.shampoo.guice;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.OptionalBinder;
import java.util.Objects;
import org.shampoo4j.shampoo.distributed.DeviceGroup;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.distributed.Sharded;

/**
 * Shards Shampoo's state over the devices of DJL's multi-device training: add it next to {@link
 * ShampooModule} and a representation module. Without it the state is replicated per device.
 *
 * <pre>{@code
 * Device[] devices = {Device.gpu(0), Device.gpu(1)};          // the trainer's optDevices
 * Injector injector = Guice.createInjector(new ShampooModule(config), new Linear2Module(),
 *     new EigenBjorckModule(), new ShardedModule(DeviceGroup.of(devices)));
 * }</pre>
 */
public final class ShardedModule extends AbstractModule {
  private final Sharded sharded;

  /** Sharding over {@code group} with the defaults of {@link Sharded#builder}. */
  public ShardedModule(DeviceGroup group) {
    this(Sharded.builder(group).build());
  }

  /** Sharding with explicit settings (cost, assignment, gradient reduction). */
  public ShardedModule(Sharded sharded) {
    this.sharded = Objects.requireNonNull(sharded, "sharded");
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), Distribution.class).setBinding()
        .toInstance(sharded);
  }
}
