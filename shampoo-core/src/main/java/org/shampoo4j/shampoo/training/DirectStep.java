package org.shampoo4j.shampoo.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The optimizer step of a model trained on one device, without the copy DJL makes of every
 * gradient. {@code Trainer.step()} hands each gradient to the optimizer through DJL's local
 * parameter server, which duplicates it first (so that an optimizer that zeroes the gradient
 * cannot spoil a second device's update): one copy kernel and one more native call per
 * parameter and step, a whole gradient's worth of memory traffic. On one device there is no
 * second update, so {@link #step} gives each trainable parameter's gradient to {@link
 * Optimizer#update} directly, under the id {@code Trainer.step()} uses ({@link Parameter#getId()}),
 * in the block's parameter order: the same updates, the same optimizer state.
 *
 * <p>Use it in place of {@code trainer.step()} after the backward pass, with the optimizer of the
 * trainer's configuration, for a trainer on one device whose parameters live on that device
 * (then DJL trains the parameters' own arrays). With several devices the parameter server's
 * gradient reduction is needed, so keep {@code trainer.step()} there. DJL's one-time check that
 * the first step's gradients are not all zero is not made. An optimizer that implements {@link
 * OwnGradientUpdates} (this project's {@code BaseOptimizerAdapter} and {@code ShampooOptimizer})
 * gets the whole step in one
 * call and reads the gradients itself. Stateless.
 */
public final class DirectStep {
  private DirectStep() {}

  /**
   * Updates every parameter of the trainer's model that requires a gradient with {@code
   * optimizer} (the trainer's).
   *
   * @throws IllegalArgumentException if the trainer runs on more than one device
   * @throws IllegalStateException if a parameter lives on another device than the trainer's
   *     (DJL then trains a copy of it)
   */
  public static void step(Trainer trainer, Optimizer optimizer) {
    Objects.requireNonNull(optimizer, "optimizer");
    Device[] devices = trainer.getDevices();
    if (devices.length != 1) {
      throw new IllegalArgumentException("a direct step updates one device's parameters; this"
          + " trainer runs on " + devices.length + " devices: use trainer.step()");
    }
    List<String> ids = new ArrayList<>();
    List<NDArray> weights = new ArrayList<>();
    for (Pair<String, Parameter> p : trainer.getModel().getBlock().getParameters()) {
      Parameter parameter = p.getValue();
      if (!parameter.requiresGradient()) {
        continue;
      }
      NDArray weight = parameter.getArray();
      if (!weight.getDevice().equals(devices[0])) {
        throw new IllegalStateException("parameter '" + p.getKey() + "' lives on "
            + weight.getDevice() + ", the trainer on " + devices[0] + ": DJL trains a copy of it"
            + " there, so use trainer.step()");
      }
      ids.add(parameter.getId());
      weights.add(weight);
    }
    if (optimizer instanceof OwnGradientUpdates own) {
      // One call for the step: the optimizer reads the gradients itself.
      own.updateFromGradients(ids, weights);
      return;
    }
    OwnGradientUpdates.updateEach(optimizer, ids, weights);
  }
}
