package org.shampoo4j.bench.variant;

import ai.djl.training.optimizer.Optimizer;
import com.google.inject.Guice;
import com.google.inject.Module;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.guice.ShampooModule;

/**
 * Shampoo composed by Guice: {@link ShampooModule} with the run's {@link ShampooConfig}, plus the
 * variant's own modules (a representation module and, for quantized ones, a quantization-map
 * module). The modules are the only difference between Shampoo variants.
 */
final class ShampooVariant implements OptimizerVariant {
  private final String id;
  private final String description;
  private final List<Supplier<Module>> modules;

  ShampooVariant(String id, String description, List<Supplier<Module>> modules) {
    this.id = Objects.requireNonNull(id, "id");
    this.description = Objects.requireNonNull(description, "description");
    this.modules = List.copyOf(modules);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public OptimizerRun create(VariantSettings settings) {
    List<Module> all = new ArrayList<>();
    all.add(new ShampooModule(config(settings)));
    for (Supplier<Module> m : modules) {
      all.add(m.get());
    }
    ShampooOptimizer shampoo = Guice.createInjector(all).getInstance(ShampooOptimizer.class);
    return new OptimizerRun() {
      @Override
      public Optimizer optimizer() {
        return shampoo;
      }

      @Override
      public MemoryFootprint stateMemory(Collection<String> parameterIds) {
        // The report covers preconditioners and base-optimizer state of every parameter seen.
        return shampoo.memoryReport().total();
      }

      @Override
      public void close() {
        shampoo.close();
      }
    };
  }

  /** The Shampoo configuration every Shampoo variant of a run shares. */
  static ShampooConfig config(VariantSettings s) {
    return ShampooConfig.builder()
        .learningRate(s.shampooLearningRate())
        .beta(s.beta())
        .epsilon(s.epsilon())
        .statisticsInterval(s.statisticInterval())
        .rootInterval(s.rootInterval())
        .maxOrder(s.maxOrder())
        .baseOptimizer(VariantCatalogue.baseSpec(s.shampooBase(), s))
        .build();
  }
}
