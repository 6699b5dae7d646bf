package org.shampoo4j.bench.gpu;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.shampoo4j.bench.data.LabeledImages;
import ai.djl.training.optimizer.Optimizer;
import org.shampoo4j.shampoo.state.CheckpointableOptimizer;
import org.shampoo4j.shampoo.state.ParameterSet;

/**
 * One model on one device with one optimizer run, trained full-batch on a fixed set of images,
 * whose parameters are loaded from bytes before the trainer exists and whose optimizer state can
 * be saved to and loaded from bytes: the unit of {@link CheckpointDeviceCheck}.
 */
final class DeviceSession implements AutoCloseable {
  private final Optimizer optimizer;
  private final Model model;
  private final Trainer trainer;
  private final NDArray x;
  private final NDArray y;

  /**
   * A session.
   *
   * @param block a fresh block (not yet initialized)
   * @param optimizers makes the optimizer, a {@link CheckpointableOptimizer} (the session closes
   *     it)
   * @param device where to train
   * @param images the full batch
   * @param parameters the model's parameters in DJL's format, or null to initialize them
   */
  DeviceSession(Block block, Supplier<? extends Optimizer> optimizers, Device device,
      LabeledImages images, byte[] parameters) throws IOException {
    this.optimizer = optimizers.get();
    this.model = Model.newInstance("checkpoint-check", device);
    model.setBlock(block);
    Shape input = new Shape(1, images.channels(), images.height(), images.width());
    if (parameters != null) {
      // Before the trainer exists: it caches the parameter arrays, which loading replaces.
      block.initialize(model.getNDManager(), DataType.FLOAT32, input);
      try {
        block.loadParameters(model.getNDManager(),
            new DataInputStream(new ByteArrayInputStream(parameters)));
      } catch (MalformedModelException e) {
        throw new IOException(e);
      }
    }
    this.trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
        .optOptimizer(optimizer)
        .optDevices(new Device[] {device}));
    trainer.initialize(input);
    int[] all = new int[images.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    this.x = images.imageBatch(trainer.getManager(), all, 0, all.length);
    this.y = images.labelBatch(trainer.getManager(), all, 0, all.length);
  }

  /** Runs {@code steps} full-batch steps. */
  void train(int steps) {
    for (int i = 0; i < steps; i++) {
      try (NDManager step = trainer.getManager().newSubManager()) {
        try (GradientCollector gc = trainer.newGradientCollector()) {
          NDList pred = trainer.forward(new NDList(x));
          NDArray loss = trainer.getLoss().evaluate(new NDList(y), pred);
          gc.backward(loss);
          pred.attach(step);
          loss.attach(step);
        }
        trainer.step();
      }
    }
  }

  /** The parameters in DJL's format. */
  byte[] saveParameters() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    model.getBlock().saveParameters(new DataOutputStream(out));
    return out.toByteArray();
  }

  /** The optimizer's checkpoint. */
  byte[] saveState() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    checkpointable().saveState(out, ParameterSet.of(model.getBlock()));
    return out.toByteArray();
  }

  /** Loads an optimizer checkpoint onto this session's device. */
  void loadState(byte[] state) throws IOException {
    checkpointable().loadState(new ByteArrayInputStream(state), ParameterSet.of(model.getBlock()));
  }

  /** The parameters by path, copied to the host. */
  Map<String, float[]> weights() {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
      out.put(p.getKey(), p.getValue().getArray().toType(DataType.FLOAT32, false).toFloatArray());
    }
    return out;
  }

  private CheckpointableOptimizer checkpointable() {
    if (optimizer instanceof CheckpointableOptimizer c) {
      return c;
    }
    throw new IllegalStateException(optimizer.getClass() + " cannot be checkpointed");
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
