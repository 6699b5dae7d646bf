package org.shampoo4j.bench.variant;

import ai.djl.nn.Block;
import ai.djl.training.optimizer.Optimizer;
import com.google.inject.Guice;
import com.google.inject.Module;
import com.google.inject.multibindings.OptionalBinder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.RefreshStacking;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.guice.DistributionModule;
import org.shampoo4j.shampoo.health.HealthReport;
import org.shampoo4j.shampoo.guice.ShampooModule;
import org.shampoo4j.shampoo.memory.DeviceMemory;

/**
 * Shampoo composed by Guice: {@link ShampooModule} with the run's {@link ShampooConfig}, plus the
 * variant's own modules (a representation module and, for quantized ones, a quantization-map
 * module). The modules are the only difference between Shampoo variants.
 */
final class ShampooVariant implements OptimizerVariant {
  private final RepresentationChoice representation;

  ShampooVariant(RepresentationChoice representation) {
    this.representation = Objects.requireNonNull(representation, "representation");
  }

  @Override
  public String id() {
    return representation.id();
  }

  @Override
  public String description() {
    return representation.description();
  }

  @Override
  public OptimizerRun create(VariantSettings settings) {
    List<Module> all = new ArrayList<>();
    all.add(new ShampooModule(config(settings)));
    all.addAll(representation.modules());
    all.add(new DistributionModule(settings.distribution()));
    all.add(binder -> OptionalBinder.newOptionalBinder(binder, RefreshStacking.class)
        .setBinding().toInstance(settings.refreshStacking()));
    ShampooOptimizer shampoo = Guice.createInjector(all).getInstance(ShampooOptimizer.class);
    return new OptimizerRun() {
      @Override
      public Optimizer optimizer() {
        return shampoo;
      }

      @Override
      public boolean clearsGradients() {
        return true;
      }

      @Override
      public MemoryFootprint stateMemory(Collection<String> parameterIds) {
        // The report covers preconditioners and base-optimizer state of every parameter seen.
        return shampoo.memoryReport().total();
      }

      @Override
      public List<DeviceMemory> deviceState() {
        return shampoo.memoryReport().devices();
      }

      @Override
      public List<HealthReport.Block> blockHealth() {
        return shampoo.health().blocks();
      }

      @Override
      public void prepare(Block model) {
        shampoo.planOwners(model);
      }

      @Override
      public void close() {
        // Rejected preconditioner updates were logged one by one; end with their totals.
        HealthReport health = shampoo.health();
        if (!health.healthy()) {
          System.err.print(id() + ": " + health.summary());
        }
        shampoo.close();
      }
    };
  }

  /** The Shampoo configuration every Shampoo variant of a run shares. */
  static ShampooConfig config(VariantSettings s) {
    return ShampooConfig.builder()
        .learningRateTracker(s.schedule().tracker(s.shampooLearningRate()))
        .beta(s.beta())
        .epsilon(s.epsilon())
        .statisticsInterval(s.statisticInterval())
        .rootInterval(s.rootInterval())
        .maxOrder(s.maxOrder())
        .baseOptimizer(VariantCatalogue.baseSpec(s.shampooBase(), s))
        .nonFinitePolicy(s.nonFinitePolicy())
        .build();
  }
}
