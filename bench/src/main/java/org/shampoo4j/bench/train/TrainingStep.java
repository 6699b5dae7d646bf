package org.shampoo4j.bench.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import java.util.Objects;

/**
 * The phases of one single-device training step, as {@link ModelTrainer} runs them and
 * {@code org.shampoo4j.bench.profile.TrainingStepProfiler} times them: clear the gradients,
 * forward, loss, backward, optimizer step ({@code trainer.step()}), and the loss added to the
 * epoch's device-side sum. No phase reads a value back to the host (the optimizer itself may).
 */
public final class TrainingStep {
  private final Trainer trainer;
  private final Block block;

  /**
   * The step of {@code trainer}, whose model's block is {@code block}.
   */
  public TrainingStep(Trainer trainer, Block block) {
    this.trainer = Objects.requireNonNull(trainer, "trainer");
    this.block = Objects.requireNonNull(block, "block");
  }

  /**
   * Clears every parameter's gradient before the next backward pass. PyTorch accumulates
   * gradients; DJL's built-in optimizers clear them inside their update, but an optimizer is not
   * obliged to, so the loop does it itself (like {@code optimizer.zero_grad()} in PyTorch).
   *
   * @param scratch the manager that frees the gradients' handles (the buffers stay with their
   *     parameters)
   */
  public void zeroGradients(NDManager scratch) {
    for (Pair<String, Parameter> p : block.getParameters()) {
      NDArray w = p.getValue().getArray();
      if (w.hasGradient()) {
        NDArray g = w.getGradient();
        g.attach(scratch);
        g.subi(g);
      }
    }
  }

  /** The network's training-mode output for {@code x}; call inside a gradient collector. */
  public NDArray forward(NDArray x) {
    return trainer.forward(new NDList(x)).singletonOrThrow();
  }

  /** The batch's mean loss of {@code prediction} against {@code labels}. */
  public NDArray loss(NDArray labels, NDArray prediction) {
    return trainer.getLoss().evaluate(new NDList(labels), new NDList(prediction));
  }

  /** Back-propagates {@code loss} into the parameters' gradients. */
  public void backward(GradientCollector collector, NDArray loss) {
    collector.backward(loss);
  }

  /** One optimizer update of every parameter ({@code trainer.step()}). */
  public void update() {
    trainer.step();
  }

  /**
   * Adds the batch's loss times its size to {@code sum} in place, on the device, so that the
   * epoch's sum divided by its image count is the mean loss per image.
   */
  public static void accumulate(NDArray sum, NDArray loss, int size) {
    sum.addi(loss.stopGradient().mul(size));
  }

  /** The trainer this step drives. */
  public Trainer trainer() {
    return trainer;
  }
}
