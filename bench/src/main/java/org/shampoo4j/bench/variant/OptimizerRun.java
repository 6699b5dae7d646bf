package org.shampoo4j.bench.variant;

import ai.djl.training.optimizer.Optimizer;
import java.util.Collection;
import org.shampoo4j.quant.MemoryFootprint;

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

  /** Frees the optimizer's state. */
  @Override
  void close();
}
