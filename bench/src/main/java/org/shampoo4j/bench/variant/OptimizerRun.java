package org.shampoo4j.bench.variant;

import ai.djl.nn.Block;
import ai.djl.training.optimizer.Optimizer;
import java.util.Collection;
import java.util.List;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.health.HealthReport;
import org.shampoo4j.shampoo.memory.DeviceMemory;

/**
 * One optimizer instance built for one training run: the DJL optimizer the trainer steps, and a
 * way to read the exact bytes of its state after training.
 */
public interface OptimizerRun extends AutoCloseable {
  /** The DJL optimizer to hand to the trainer. */
  Optimizer optimizer();

  /**
   * The optimizer's state bytes, measured from its real buffers.
   *
   * @param parameterIds ids of the model's trainable parameters (base optimizers keep one state
   *     per id)
   */
  MemoryFootprint stateMemory(Collection<String> parameterIds);

  /**
   * The optimizer's state bytes per device that holds them, where the optimizer reports it
   * (Shampoo, and base optimizers run alone: each replica's copy on its device); empty otherwise.
   */
  default List<DeviceMemory> deviceState() {
    return List.of();
  }

  /**
   * Called once the trainer has initialised the model's parameters, before the first step (a
   * sharded Shampoo plans its block owners here). Does nothing by default.
   */
  default void prepare(Block model) {}

  /**
   * Each preconditioner block's health counts now (rejected statistic updates and root
   * refreshes); empty for an optimizer without preconditioners.
   */
  default List<HealthReport.Block> blockHealth() {
    return List.of();
  }

  /**
   * Whether the optimizer clears each parameter's gradient in its update (as DJL's own PyTorch
   * optimizers and this project's do), so that the training loop need not. False by default.
   */
  default boolean clearsGradients() {
    return false;
  }

  /** Frees the optimizer's state. */
  @Override
  void close();
}
