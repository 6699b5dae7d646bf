package org.shampoo4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.state.CheckpointContents;
import org.shampoo4j.shampoo.state.CheckpointFile;
import org.shampoo4j.shampoo.state.CheckpointableOptimizer;
import org.shampoo4j.shampoo.state.ParameterSet;
import org.shampoo4j.shampoo.training.DirectStep;

/**
 * One model of a {@link Problem} with its own optimizer and DJL trainer, trained full-batch step
 * by step, whose model parameters and optimizer state can be saved to and loaded from bytes: the
 * pieces of a resume test (train N, save, load into a fresh session, train M; the checkpoint's
 * size is checked against the optimizer's memory report on the way).
 */
public final class TrainingSession implements AutoCloseable {
  private final Model model;
  private final Trainer trainer;
  private final Optimizer optimizer;
  private final NDList x;
  private final NDList y;

  /**
   * A model on {@code device}, freshly initialized or with the parameters saved by {@link
   * #saveParameters} (null for fresh), with an optimizer from {@code optimizers} (which must
   * implement {@link CheckpointableOptimizer}; the session closes it).
   */
  public TrainingSession(Problem problem, Supplier<? extends Optimizer> optimizers, Device device,
      byte[] parameters) throws IOException {
    this.optimizer = optimizers.get();
    if (!(optimizer instanceof CheckpointableOptimizer)) {
      throw new IllegalArgumentException(optimizer.getClass() + " cannot be checkpointed");
    }
    this.model = Model.newInstance(problem.name(), device);
    model.setBlock(problem.newBlock());
    if (parameters != null) {
      // Before the trainer exists: it caches the parameter arrays when it initializes, and
      // loading replaces them.
      model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, problem.inputShapes());
      try {
        model.getBlock().loadParameters(
            model.getNDManager(), new DataInputStream(new ByteArrayInputStream(parameters)));
      } catch (ai.djl.MalformedModelException e) {
        throw new IOException(e);
      }
    }
    DefaultTrainingConfig config = new DefaultTrainingConfig(problem.loss())
        .optOptimizer(optimizer)
        .optDevices(new Device[] {device});
    this.trainer = model.newTrainer(config);
    trainer.initialize(problem.inputShapes());
    this.x = problem.data(trainer.getManager());
    this.y = problem.labels(trainer.getManager());
  }

  /** A freshly initialized session on the CPU. */
  public TrainingSession(Problem problem, Supplier<? extends Optimizer> optimizers)
      throws IOException {
    this(problem, optimizers, Device.cpu(), null);
  }

  /** The optimizer. */
  public Optimizer optimizer() {
    return optimizer;
  }

  /** The optimizer as a checkpointable one. */
  public CheckpointableOptimizer checkpointable() {
    return (CheckpointableOptimizer) optimizer;
  }

  /** The model's parameters, named by path. */
  public ParameterSet parameters() {
    return ParameterSet.of(model.getBlock());
  }

  /** Runs {@code steps} full-batch training steps. */
  public void train(int steps) {
    train(steps, false);
  }

  /**
   * Runs {@code steps} full-batch training steps, each ending in {@code trainer.step()} or, if
   * {@code direct}, in {@link DirectStep#step}.
   */
  public void train(int steps, boolean direct) {
    for (int i = 0; i < steps; i++) {
      try (NDManager step = trainer.getManager().newSubManager()) {
        try (GradientCollector collector = trainer.newGradientCollector()) {
          NDList pred = trainer.forward(x);
          NDArray loss = trainer.getLoss().evaluate(y, pred);
          collector.backward(loss);
          pred.attach(step);
          loss.attach(step);
        }
        if (direct) {
          DirectStep.step(trainer, optimizer);
        } else {
          trainer.step();
        }
      }
    }
  }

  /** Every parameter's values by path, copied to the host. */
  public Map<String, float[]> weights() {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
      out.put(p.getKey(), p.getValue().getArray().toFloatArray());
    }
    return out;
  }

  /** The model's parameters in DJL's own format. */
  public byte[] saveParameters() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    model.getBlock().saveParameters(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }

  /** The optimizer's checkpoint. */
  public byte[] saveState() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    checkpointable().saveState(bytes, parameters());
    return bytes.toByteArray();
  }

  /** Loads an optimizer checkpoint. */
  public void loadState(byte[] bytes) throws IOException {
    checkpointable().loadState(new ByteArrayInputStream(bytes), parameters());
  }

  /**
   * The weights after {@code n + m} steps, trained with a save after {@code n} steps and a load
   * into a fresh session (new model, new optimizer) for the last {@code m}.
   */
  public static Map<String, float[]> resumed(
      Problem problem, Supplier<? extends Optimizer> optimizers, int n, int m) throws IOException {
    byte[] parameters;
    byte[] state;
    try (TrainingSession first = new TrainingSession(problem, optimizers)) {
      first.train(n);
      parameters = first.saveParameters();
      state = first.saveState();
      first.assertSizeMatchesMemoryReport(state);
    }
    try (TrainingSession second =
        new TrainingSession(problem, optimizers, Device.cpu(), parameters)) {
      second.loadState(state);
      second.train(m);
      return second.weights();
    }
  }

  /**
   * Checks that a Shampoo checkpoint's array bytes are exactly the optimizer's memory report and
   * that names, shapes and frames add less than 100 bytes per entry.
   */
  public void assertSizeMatchesMemoryReport(byte[] state) throws IOException {
    if (!(optimizer instanceof ShampooOptimizer shampoo)) {
      return;
    }
    CheckpointContents c = CheckpointFile.read(new ByteArrayInputStream(state));
    long reported = shampoo.memoryReport().total().total();
    assertEquals(reported, c.dataBytes(), "checkpoint array bytes vs memory report");
    long entries = c.parameters().stream()
        .mapToLong(p -> 1 + p.state().arrays().size() + p.state().counters().size()).sum();
    assertTrue(state.length - reported < 256 + 100 * entries,
        (state.length - reported) + " header bytes for " + entries + " entries");
  }

  /** The weights after {@code steps} uninterrupted steps. */
  public static Map<String, float[]> uninterrupted(
      Problem problem, Supplier<? extends Optimizer> optimizers, int steps) throws IOException {
    try (TrainingSession s = new TrainingSession(problem, optimizers)) {
      s.train(steps);
      return s.weights();
    }
  }

  @Override
  public void close() {
    trainer.close();
    model.close();
    if (optimizer instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing the optimizer failed", e);
      }
    }
  }
}
