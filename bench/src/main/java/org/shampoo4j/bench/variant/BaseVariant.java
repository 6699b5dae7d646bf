package org.shampoo4j.bench.variant;

import ai.djl.training.optimizer.Optimizer;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.Objects;
import java.util.function.Function;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.memory.DeviceMemory;

/**
 * A base optimizer run alone through {@link BaseOptimizerAdapter}: the same gradient handling and
 * step counting as Shampoo's runs, without preconditioning.
 */
final class BaseVariant implements OptimizerVariant {
  private final String id;
  private final String description;
  private final Function<VariantSettings, BaseOptimizer> factory;
  private final Function<VariantSettings, Float> learningRate;

  BaseVariant(String id, String description, Function<VariantSettings, BaseOptimizer> factory,
      Function<VariantSettings, Float> learningRate) {
    this.id = Objects.requireNonNull(id, "id");
    this.description = Objects.requireNonNull(description, "description");
    this.factory = Objects.requireNonNull(factory, "factory");
    this.learningRate = Objects.requireNonNull(learningRate, "learningRate");
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
    BaseOptimizer base = factory.apply(settings);
    BaseOptimizerAdapter adapter = BaseOptimizerAdapter.builder()
        .baseOptimizer(base)
        .learningRateTracker(settings.schedule().tracker(learningRate.apply(settings)))
        // DJL sums the replicas' gradients; under MEAN this scales the sum back to the mean.
        .rescaleGrad(settings.gradientScale())
        .nonFinitePolicy(settings.nonFinitePolicy())
        .fusedStep(settings.fusedBase())
        .build();
    return new OptimizerRun() {
      @Override
      public Optimizer optimizer() {
        return adapter;
      }

      @Override
      public boolean clearsGradients() {
        return true;
      }

      @Override
      public MemoryFootprint stateMemory(Collection<String> parameterIds) {
        // Every copy of the given parameters, on every device (replicas keep their own state).
        Set<String> wanted = Set.copyOf(parameterIds);
        MemoryFootprint total = MemoryFootprint.ZERO;
        for (DeviceMemory d : adapter.deviceMemory(wanted::contains)) {
          total = total.plus(d.total());
        }
        return total;
      }

      @Override
      public List<DeviceMemory> deviceState() {
        return adapter.deviceMemory();
      }

      @Override
      public void close() {
        adapter.close();
      }
    };
  }
}
