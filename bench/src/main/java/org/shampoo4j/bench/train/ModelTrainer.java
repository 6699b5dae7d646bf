package org.shampoo4j.bench.train;

import ai.djl.Model;
import ai.djl.engine.Engine;
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
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.shampoo4j.bench.data.Augmentation;
import org.shampoo4j.bench.data.DeviceImages;
import org.shampoo4j.bench.data.LabeledImages;
import org.shampoo4j.bench.data.Shuffle;
import org.shampoo4j.bench.data.TrainTestSplit;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.random.Lcg48;
import org.shampoo4j.bench.variant.OptimizerRun;
import org.shampoo4j.bench.variant.OptimizerVariant;
import org.shampoo4j.bench.variant.VariantSettings;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.health.HealthReport;
import java.io.IOException;
import org.shampoo4j.shampoo.memory.DeviceMemory;
import org.shampoo4j.shampoo.state.CheckpointableOptimizer;

/**
 * Trains one model per optimizer variant under identical conditions: the same seed gives every
 * variant the same initial weights (the engine's random seed is reset before initialisation) and
 * the same batch order and the same augmented images.
 *
 * <p>A step neither copies from the host nor reads back to it (the optimizer aside): with
 * {@link TrainingSettings#dataOnDevice()} the training and test sets are uploaded once, each
 * epoch uploads its image order and augmentation choices once ({@link DeviceImages}), and every
 * batch is gathered, cropped and flipped on the device. The training loss and the test loss and
 * accuracy are summed on the device and read once per epoch; on a GPU the host thus queues work
 * ahead of the device instead of waiting for it every step. Device memory in use is sampled after
 * the first step, every 50 steps and after every epoch and evaluation
 * (see {@link DeviceMemoryProbe}).
 */
public final class ModelTrainer {
  private static final int EVAL_BATCH = 512;
  /**
   * Device memory is read after the first step and every this many steps, and at the end of
   * every epoch and evaluation. PyTorch's caching allocator keeps what it reserved until the
   * process ends, so the reading (reserved memory) does not fall between samples and the peak
   * is the same as with a reading after every step.
   */
  private static final int MEMORY_SAMPLE_STEPS = 50;

  private final TrainTestSplit data;
  private final ModelKind model;
  private final TrainingSettings settings;
  private final DeviceMemoryProbe memoryProbe;
  private final Optional<RunCheckpoints> saveTo;
  private final Optional<RunCheckpoints> resumeFrom;
  private final RunSetup setup;

  /**
   * A trainer for one data set and model.
   *
   * @param data the training and test images
   * @param model which network to build for each run
   * @param settings epochs, batch size, seed, device
   */
  public ModelTrainer(TrainTestSplit data, ModelKind model, TrainingSettings settings) {
    this.data = Objects.requireNonNull(data, "data");
    this.model = Objects.requireNonNull(model, "model");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.memoryProbe = DeviceMemoryProbe.maxOf(settings.devices());
    this.saveTo = Optional.empty();
    this.resumeFrom = Optional.empty();
    this.setup = RunSetup.of(Map.of());
  }

  private ModelTrainer(ModelTrainer base, Optional<RunCheckpoints> saveTo,
      Optional<RunCheckpoints> resumeFrom, RunSetup setup) {
    this.data = base.data;
    this.model = base.model;
    this.settings = base.settings;
    this.memoryProbe = base.memoryProbe;
    this.saveTo = saveTo;
    this.resumeFrom = resumeFrom;
    this.setup = Objects.requireNonNull(setup, "setup");
  }

  /**
   * This trainer with checkpoints: after every epoch each run saves its model, optimizer state
   * and progress to {@code saveTo} (atomically), and a run whose variant has a checkpoint in
   * {@code resumeFrom} continues from it. A resumed run gives the same epoch records as an
   * uninterrupted one (times aside).
   *
   * @param setup what the runs are set up with (model, data, seed, learning rates, ...): a
   *     checkpoint written under another setup is refused, naming the settings that differ
   */
  public ModelTrainer withCheckpoints(Optional<RunCheckpoints> saveTo,
      Optional<RunCheckpoints> resumeFrom, RunSetup setup) {
    return new ModelTrainer(this, saveTo, resumeFrom, setup);
  }

  /** Optimizer steps per epoch. */
  public int stepsPerEpoch() {
    return (data.train().size() + settings.batchSize() - 1) / settings.batchSize();
  }

  /**
   * Trains a fresh model with {@code variant}. A diverging loss (NaN or infinite) or an exception
   * thrown by the optimizer ends the run early and is reported in the result, so one broken
   * variant does not hide the others.
   */
  public RunResult train(OptimizerVariant variant, VariantSettings variantSettings) {
    return train(variant, variantSettings, EpochListener.NONE);
  }

  /**
   * Like {@link #train(OptimizerVariant, VariantSettings)}, telling {@code listener} after each
   * epoch.
   */
  public RunResult train(OptimizerVariant variant, VariantSettings variantSettings,
      EpochListener listener) {
    LabeledImages train = data.train();
    Run r = new Run(variant, listener);
    model.checkInput(train.channels(), train.height(), train.width());
    Block block = model.build(settings.width(), train.classes());
    Shape inputShape = new Shape(1, train.channels(), train.height(), train.width());
    try (OptimizerRun optimizer = variant.create(variantSettings);
        Model djlModel = Model.newInstance("bench-" + variant.id(), settings.device())) {
      djlModel.setBlock(block);
      Optional<RunCheckpoints.Saved> resumed =
          resumeFrom.isPresent() ? resumeFrom.get().latest(variant.id()) : Optional.empty();
      if (resumed.isPresent()) {
        requireSameSetup(resumed.get());
        // Before the trainer exists: it caches the parameter arrays, which loading replaces.
        block.initialize(djlModel.getNDManager(), DataType.FLOAT32, inputShape);
        resumed.get().loadParameters(block, djlModel.getNDManager());
        r.resume(resumed.get().progress());
      }
      try (Trainer trainer = djlModel.newTrainer(trainingConfig(optimizer));
          ProgressBar bar = progressBar(variant.id(), (long) settings.epochs() * stepsPerEpoch())) {
        // Same seed before initialisation: every variant starts from the same weights.
        Engine.getInstance().setRandomSeed((int) settings.seed());
        trainer.initialize(inputShape);
        optimizer.prepare(block);
        if (resumed.isPresent()) {
          resumed.get().loadOptimizer(checkpointable(optimizer), block);
        }
        r.trainEpochs(trainer, optimizer, block, bar);
      }
    } catch (RuntimeException | IOException e) {
      r.failure = Optional.of(describe(e));
    }
    return r.result();
  }

  private DefaultTrainingConfig trainingConfig(OptimizerRun optimizer) {
    return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
        .optOptimizer(optimizer.optimizer())
        .optDevices(settings.devices().toArray(new ai.djl.Device[0]))
        .optInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
  }

  /** One variant's run as it trains: its progress so far, turned into a result at the end. */
  private final class Run {
    private final OptimizerVariant variant;
    private final EpochListener listener;
    private final List<EpochRecord> epochs = new ArrayList<>();
    private final PeakTracker peak = new PeakTracker(memoryProbe);
    // java.util.Random's sequences, with a state a checkpoint can store as plain bytes.
    private Lcg48 order = Lcg48.seeded(settings.seed());
    // A separate stream, so that switching augmentation on does not change the batch order.
    private Lcg48 augment = Lcg48.seeded(settings.seed() * 0x9E3779B97F4A7C15L + 1);
    private long steps;
    private double trainNanos;
    private MemoryFootprint memory = MemoryFootprint.ZERO;
    private List<DeviceMemory> deviceState = List.of();
    private List<HealthReport.Block> health = List.of();
    private Optional<String> failure = Optional.empty();

    Run(OptimizerVariant variant, EpochListener listener) {
      this.variant = variant;
      this.listener = listener;
      peak.sample();
    }

    /** Continues from a checkpoint's progress: its epochs, counters and generators. */
    void resume(RunCheckpoints.Progress p) {
      order = p.order();
      augment = p.augment();
      epochs.addAll(p.epochs());
      steps = p.steps();
      trainNanos = p.trainNanos();
      peak.include(p.peakDeviceBytes());
    }

    /** The epochs after the resumed ones, until the last or the first failure. */
    void trainEpochs(Trainer trainer, OptimizerRun optimizer, Block block, ProgressBar bar)
        throws IOException {
      TrainingStep step = TrainingStep.of(trainer, block, optimizer);
      DeviceImages trainOnDevice = null;
      DeviceImages testOnDevice = null;
      if (settings.dataOnDevice()) {
        // One upload of each set; the steps then read their batches on the device.
        trainOnDevice = DeviceImages.upload(data.train(), settings.augmentation(),
            trainer.getManager());
        testOnDevice = DeviceImages.upload(data.test(), Augmentation.none(),
            trainer.getManager());
      }
      for (int epoch = epochs.size() + 1; epoch <= settings.epochs() && failure.isEmpty();
          epoch++) {
        Optional<Double> lossSum = trainEpoch(trainer, step, trainOnDevice, bar);
        if (lossSum.isEmpty()) {
          break;
        }
        Evaluation eval = testOnDevice != null ? evaluate(trainer, testOnDevice, peak)
            : evaluate(trainer, data.test(), peak);
        finishEpoch(epoch, lossSum.get() / data.train().size(), eval, optimizer, block, bar);
      }
      memory = optimizer.stateMemory(parameterIds(block));
      deviceState = optimizer.deviceState();
      if (trainOnDevice != null) {
        trainOnDevice.close();
        testOnDevice.close();
      }
      health = optimizer.blockHealth();
    }

    /**
     * One pass over the shuffled training set; returns the summed loss (read once, the epoch's
     * only read of a training value), or empty after recording the step's failure.
     */
    private Optional<Double> trainEpoch(Trainer trainer, TrainingStep step,
        DeviceImages trainOnDevice, ProgressBar bar) {
      LabeledImages train = data.train();
      int[] perm = Shuffle.permutation(train.size(), order);
      long start = System.nanoTime();
      try (NDManager epochManager = trainer.getManager().newSubManager()) {
        Batches batches = trainOnDevice != null
            ? deviceBatches(trainOnDevice.epoch(perm,
                settings.augmentation().draw(perm.length, augment), epochManager))
            : hostBatches(train, perm, settings.augmentation(), augment);
        NDArray sum = epochManager.zeros(new Shape(), DataType.FLOAT32);
        for (int from = 0; from < perm.length; from += settings.batchSize()) {
          int to = Math.min(perm.length, from + settings.batchSize());
          trainBatch(trainer, step, batches, sum, from, to);
          steps++;
          if (steps % MEMORY_SAMPLE_STEPS == 1) {
            peak.sample();
          }
          if (bar != null) {
            bar.step();
          }
        }
        double lossSum = sum.getFloat();
        peak.sample();
        return Optional.of(lossSum);
      } catch (RuntimeException e) {
        failure = Optional.of(describe(e));
        return Optional.empty();
      } finally {
        trainNanos += System.nanoTime() - start;
      }
    }

    /** One optimizer step on images {@code from..to} of the epoch, its loss added to {@code sum}. */
    private void trainBatch(Trainer trainer, TrainingStep step, Batches batches, NDArray sum,
        int from, int to) {
      try (NDManager batch = trainer.getManager().newSubManager()) {
        NDArray x = batches.images(batch, from, to);
        NDArray y = batches.labels(batch, from, to);
        step.zeroGradients(batch);
        if (settings.devices().size() == 1) {
          try (GradientCollector gc = trainer.newGradientCollector()) {
            NDArray pred = step.forward(x);
            NDArray loss = step.loss(y, pred);
            step.backward(gc, loss);
            // Weighted by batch size so the epoch mean is per image.
            step.accumulate(sum, loss, to - from);
          }
        } else {
          sum.addi(splitForwardBackward(trainer, batch, x, y, to - from));
        }
        step.update();
      }
    }

    /**
     * Records an epoch, then (unless the loss diverged) saves the checkpoint and tells the
     * listener.
     */
    private void finishEpoch(int epoch, double trainLoss, Evaluation eval,
        OptimizerRun optimizer, Block block, ProgressBar bar) throws IOException {
      epochs.add(new EpochRecord(
          epoch, trainLoss, eval.loss(), eval.accuracy(), trainNanos / 1e9));
      memory = optimizer.stateMemory(parameterIds(block));
      deviceState = optimizer.deviceState();
      health = optimizer.blockHealth();
      if (bar != null) {
        bar.setExtraMessage(String.format(java.util.Locale.ROOT,
            "epoch %d/%d loss %.4f acc %.3f", epoch, settings.epochs(), trainLoss,
            eval.accuracy()));
      }
      if (!Double.isFinite(trainLoss)) {
        failure = Optional.of("diverged: training loss " + trainLoss + " in epoch " + epoch);
        return;
      }
      // Saved before the listener hears of the epoch: an interruption there keeps it.
      if (saveTo.isPresent()) {
        saveTo.get().save(variant.id(), new RunCheckpoints.Progress(setup.text(), epochs, steps,
            trainNanos, peak.peak(), order, augment), block, checkpointable(optimizer));
      }
      listener.epochFinished(new RunResult(variant.id(), variant.description(), epochs,
          steps, trainNanos / 1e9, memory, peak.peak(), Optional.empty()), settings.epochs());
    }

    RunResult result() {
      return new RunResult(variant.id(), variant.description(), epochs, steps,
          trainNanos / 1e9, memory, peak.peak(), failure, deviceState, health);
    }
  }

  /**
   * DJL's multi-device training step, as {@code EasyTrain.trainBatch} does it: the batch is split
   * across the trainer's devices by DJL ({@code Batch.split}), each share runs forward, loss and
   * backward on its device inside one gradient collector; {@code trainer.step()} then lets DJL's
   * parameter server sum the gradients and call the optimizer once per device. Returns the
   * batch's summed loss (each share's mean times its size) on device 0.
   */
  private static NDArray splitForwardBackward(Trainer trainer, NDManager manager, NDArray x,
      NDArray y, int size) {
    ai.djl.Device[] devices = trainer.getDevices();
    NDArray total = null;
    try (ai.djl.training.dataset.Batch batch = new ai.djl.training.dataset.Batch(
            manager.newSubManager(), new NDList(x), new NDList(y), size,
            ai.djl.translate.Batchifier.STACK, ai.djl.translate.Batchifier.STACK, 0, 0);
        GradientCollector gc = trainer.newGradientCollector()) {
      for (ai.djl.training.dataset.Batch share : batch.split(devices, false)) {
        NDList labels = share.getLabels();
        NDArray pred = trainer.forward(share.getData(), labels).singletonOrThrow();
        NDArray loss = trainer.getLoss().evaluate(labels, new NDList(pred));
        gc.backward(loss);
        NDArray weighted = loss.stopGradient().mul(labels.head().getShape().get(0))
            .toDevice(devices[0], false);
        weighted.attach(manager);
        total = total == null ? weighted : total.add(weighted);
      }
    }
    return total;
  }

  private void requireSameSetup(RunCheckpoints.Saved saved) throws IOException {
    Optional<String> mismatch = RunSetup.mismatch(saved.progress().setup(), setup.text());
    if (mismatch.isPresent()) {
      throw new IOException("checkpoint " + saved.directory() + " was written for another setup: "
          + mismatch.get());
    }
    if (saved.progress().epochs().size() > settings.epochs()) {
      throw new IOException("checkpoint " + saved.directory() + " is after epoch "
          + saved.progress().epochs().size() + ", beyond this run's " + settings.epochs());
    }
  }

  private static CheckpointableOptimizer checkpointable(OptimizerRun run) {
    if (run.optimizer() instanceof CheckpointableOptimizer c) {
      return c;
    }
    throw new IllegalStateException(
        run.optimizer().getClass().getName() + " cannot save or load its state");
  }

  /** Why the device-memory column is empty, if it is (for example on the CPU). */
  public Optional<String> deviceMemoryUnavailable() {
    return memoryProbe.unavailableReason();
  }

  private static List<String> parameterIds(Block block) {
    List<String> ids = new ArrayList<>();
    for (Pair<String, Parameter> p : block.getParameters()) {
      ids.add(p.getValue().getId());
    }
    return ids;
  }

  private ProgressBar progressBar(String name, long total) {
    if (!settings.progress()) {
      return null;
    }
    return new ProgressBarBuilder()
        .setTaskName(String.format("%-16s", name))
        .setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(250)
        .continuousUpdate()
        .build();
  }

  /** Where a step's images and labels come from. */
  private interface Batches {
    NDArray images(NDManager m, int from, int to);

    NDArray labels(NDManager m, int from, int to);
  }

  /** Batches gathered, cropped and flipped on the device from an epoch's uploaded plan. */
  private static Batches deviceBatches(DeviceImages.Epoch epoch) {
    return new Batches() {
      @Override
      public NDArray images(NDManager m, int from, int to) {
        return epoch.images(m, from, to);
      }

      @Override
      public NDArray labels(NDManager m, int from, int to) {
        return epoch.labels(m, from, to);
      }
    };
  }

  /**
   * Batches assembled and augmented on the host and copied to the device one by one, drawing
   * the augmentation's choices as each batch is made (the same sequence as drawing the epoch's
   * choices at once).
   */
  private static Batches hostBatches(LabeledImages train, int[] perm, Augmentation augmentation,
      java.util.random.RandomGenerator augment) {
    return new Batches() {
      @Override
      public NDArray images(NDManager m, int from, int to) {
        return train.imageBatch(m, perm, from, to, augmentation, augment);
      }

      @Override
      public NDArray labels(NDManager m, int from, int to) {
        return train.labelBatch(m, perm, from, to);
      }
    };
  }

  /**
   * Test loss and accuracy with the test set on the device: sums kept there (the loss in float64,
   * each batch's float32 mean times its size, as the host path adds them) and read once.
   */
  private static Evaluation evaluate(Trainer trainer, DeviceImages test, PeakTracker peak) {
    double lossSum;
    long correct;
    try (NDManager sums = trainer.getManager().newSubManager()) {
      NDArray loss = sums.zeros(new Shape(), DataType.FLOAT64);
      NDArray right = sums.zeros(new Shape(), DataType.INT64);
      for (int from = 0; from < test.size(); from += EVAL_BATCH) {
        int to = Math.min(test.size(), from + EVAL_BATCH);
        try (NDManager m = trainer.getManager().newSubManager()) {
          NDArray x = test.imagesInOrder(m, from, to);
          NDArray y = test.labelsInOrder(m, from, to);
          NDArray pred = trainer.evaluate(new NDList(x)).singletonOrThrow();
          loss.addi(trainer.getLoss().evaluate(new NDList(y), new NDList(pred))
              .toType(DataType.FLOAT64, false).mul(to - from));
          right.addi(pred.argMax(1).toType(DataType.INT32, false).eq(y).sum()
              .toType(DataType.INT64, false));
        }
      }
      lossSum = loss.getDouble();
      correct = right.getLong();
    }
    peak.sample();
    return new Evaluation(lossSum / test.size(), (double) correct / test.size());
  }

  private static Evaluation evaluate(Trainer trainer, LabeledImages test, PeakTracker peak) {
    int[] all = new int[test.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    double lossSum = 0;
    long correct = 0;
    for (int from = 0; from < all.length; from += EVAL_BATCH) {
      int to = Math.min(all.length, from + EVAL_BATCH);
      try (NDManager m = trainer.getManager().newSubManager()) {
        NDArray x = test.imageBatch(m, all, from, to);
        NDArray y = test.labelBatch(m, all, from, to);
        NDArray pred = trainer.evaluate(new NDList(x)).singletonOrThrow();
        lossSum += trainer.getLoss().evaluate(new NDList(y), new NDList(pred)).getFloat()
            * (to - from);
        correct += pred.argMax(1).toType(DataType.INT32, false).eq(y).sum().getLong();
        peak.sample();
      }
    }
    return new Evaluation(lossSum / test.size(), (double) correct / test.size());
  }

  private static String describe(Throwable e) {
    String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
    return msg.replace('\n', ' ');
  }

  /** Test loss and accuracy after an epoch. */
  private record Evaluation(double loss, double accuracy) {}
}
