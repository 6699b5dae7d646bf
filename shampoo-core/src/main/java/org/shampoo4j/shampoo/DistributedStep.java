package org.shampoo4j.shampoo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import org.shampoo4j.shampoo.state.ParameterSet;
import java.util.List;
import java.util.Optional;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.DeviceManagers;
import org.shampoo4j.shampoo.base.GradientPreprocessor;
import org.shampoo4j.shampoo.base.UpdateGate;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.distributed.Sharded;

/**
 * A {@link Distribution} at work: where a parameter's state lives and who computes its step
 * ({@link ReplicatedStep}: every replica its own; {@link ShardedStep}: each block's owner, once
 * per training step). {@link ShampooOptimizer#update} runs the same sequence for both and leaves
 * every difference to this strategy.
 */
interface DistributedStep extends AutoCloseable {
  /**
   * One parameter's update, after gradient preprocessing, with its state and step counted.
   *
   * @param gate the gate its writes go through, or null when its gradient is checked with the
   *     step's other gradients when the batch is applied ({@link #checksLater})
   * @param undo host-side changes to undo if that later check fails (empty with a gate, which
   *     holds its own)
   */
  record Update(String parameterId, String key, ParameterState state, NDArray weight,
      NDArray gradient, int step, float lr, NDManager scratch, UpdateGate gate,
      boolean batched, List<Runnable> undo) {}

  /** The strategy of {@code distribution}. */
  static DistributedStep of(Distribution distribution, ShampooConfig config, BaseOptimizer base,
      GradientPreprocessor preprocessor, Preconditioning preconditioning,
      DeviceManagers managers, boolean fusedBaseStep, boolean batchedDirections) {
    if (distribution instanceof Sharded sharded) {
      return new ShardedStep(sharded, config, base, preconditioning, managers);
    }
    return new ReplicatedStep(base, preprocessor, preconditioning, fusedBaseStep,
        batchedDirections ? config.grafting() : null);
  }

  /** The key of the state of {@code parameterId}'s copy on {@code device}. */
  String stateKey(String parameterId, Device device);

  /** The owner of each unit of a parameter (its blocks, or the whole unpreconditioned one). */
  List<Owner> owners(String parameterId, NDArray weight, Optional<BlockLayout> layout);

  /** Whether one state serves all replicas (see {@link ParameterState#perBlockBase}). */
  boolean sharesState();

  /** Chooses the owners of all of a model's blocks at once where owners are chosen at all. */
  void planOwners(Block model);

  /**
   * Before the step: whether this update joins the step's fused base batch (applied when the
   * step's last parameter arrives). Clears the gradient if it throws.
   */
  boolean admit(String parameterId, NDArray weight);

  /**
   * Whether a batched update that refreshes nothing may leave its GUARDED check to the batch
   * (one call for the step's gradients, {@link GradientPreprocessor#guardAll}) and come with no
   * gate.
   */
  boolean checksLater();

  /** Whether this call only receives a result another call computed (it then has done so). */
  boolean relayed(String parameterId, NDArray weight);

  /** The preprocessor dropped this update (non-finite gradient under SKIP). */
  void skipped(String parameterId);

  /**
   * Computes the direction and applies the base optimizer.
   *
   * @return whether the fused base batch clears the gradient (it reads it later)
   */
  boolean step(Update u);

  /**
   * Whether {@link #stepAll} takes whole steps on {@code device}: steps whose gradients stay with
   * their weights, read inside the step's calls.
   */
  default boolean takesWholeSteps(Device device) {
    return false;
  }

  /**
   * Applies every update of one step at once, each without gradient or gate (the calls read each
   * weight's own gradient and check them all together), where {@link #takesWholeSteps}: the
   * same result as {@link #step} per update with the gradient, for updates that refresh nothing.
   * The weights' gradients are zeroed.
   *
   * @throws UnsupportedOperationException where whole steps are not taken
   */
  default void stepAll(List<Update> updates) {
    throw new UnsupportedOperationException(getClass().getSimpleName()
        + " takes one update at a time");
  }

  /**
   * After a checkpoint is loaded: the updates of a step will come in the order of {@code
   * parameters}' trainable parameters (as {@link org.shampoo4j.shampoo.training.DirectStep} makes
   * them), so that the first step batches as the steps of the run that wrote the checkpoint did.
   */
  void expectOrder(ParameterSet parameters);

  /** Applies buffered base updates now. */
  void flush();

  @Override
  void close();
}
