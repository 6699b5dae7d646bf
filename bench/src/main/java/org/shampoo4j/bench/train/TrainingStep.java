package org.shampoo4j.bench.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.shampoo4j.bench.variant.OptimizerRun;
import org.shampoo4j.shampoo.training.DirectStep;

/**
 * The phases of one single-device training step, as {@link ModelTrainer} runs them and
 * {@code org.shampoo4j.bench.profile.TrainingStepProfiler} times them: clear the gradients,
 * forward, loss, backward, optimizer step ({@code trainer.step()}), and the loss added to the
 * epoch's device-side sum. No phase reads a value back to the host or makes an array from Java
 * memory (on a GPU both wait for the device's queue); the optimizer itself may.
 */
public final class TrainingStep {
  private final Trainer trainer;
  private final Block block;
  private final Optimizer direct;
  private final boolean optimizerClearsGradients;
  private final Map<Integer, NDArray> batchSizes = new HashMap<>();

  /**
   * The step of {@code trainer}, whose model's block is {@code block}: gradients cleared by the
   * loop, the optimizer stepped through {@code trainer.step()}.
   */
  public TrainingStep(Trainer trainer, Block block) {
    this(trainer, block, null, false);
  }

  private TrainingStep(Trainer trainer, Block block, Optimizer direct,
      boolean optimizerClearsGradients) {
    this.trainer = Objects.requireNonNull(trainer, "trainer");
    this.block = Objects.requireNonNull(block, "block");
    this.direct = direct;
    this.optimizerClearsGradients = optimizerClearsGradients;
  }

  /**
   * The step of {@code trainer} with the optimizer of {@code run}: on one device the optimizer is
   * stepped directly ({@link DirectStep}, without DJL's copy of every gradient), and the loop
   * leaves the gradients to an optimizer that clears them itself ({@link
   * OptimizerRun#clearsGradients()}).
   */
  public static TrainingStep of(Trainer trainer, Block block, OptimizerRun run) {
    Optimizer direct = trainer.getDevices().length == 1 ? run.optimizer() : null;
    return new TrainingStep(trainer, block, direct, run.clearsGradients());
  }

  /**
   * Clears every parameter's gradient before the next backward pass. PyTorch accumulates
   * gradients; DJL's built-in optimizers clear them inside their update, but an optimizer is not
   * obliged to, so the loop does it itself (like {@code optimizer.zero_grad()} in PyTorch), unless
   * the optimizer is known to clear them.
   *
   * @param scratch the manager that frees the gradients' handles (the buffers stay with their
   *     parameters)
   */
  public void zeroGradients(NDManager scratch) {
    if (optimizerClearsGradients) {
      return;
    }
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

  /** One optimizer update of every parameter ({@code trainer.step()}, or a direct step). */
  public void update() {
    if (direct != null) {
      DirectStep.step(trainer, direct);
    } else {
      trainer.step();
    }
  }

  /**
   * Adds the batch's loss times its size to {@code sum} in place, on the device, so that the
   * epoch's sum divided by its image count is the mean loss per image. Each batch size is made
   * into a device array once (an array from a Java number would wait for the device's queue at
   * every step).
   */
  public void accumulate(NDArray sum, NDArray loss, int size) {
    NDArray weight = batchSizes.computeIfAbsent(size, n -> {
      NDArray a = trainer.getManager().create((float) n);
      a.attach(trainer.getManager());
      return a;
    });
    sum.addi(loss.stopGradient().mul(weight));
  }

  /** The trainer this step drives. */
  public Trainer trainer() {
    return trainer;
  }
}
