package org.shampoo4j.bench.profile;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import org.shampoo4j.bench.cli.CudnnBenchmark;
import org.shampoo4j.bench.data.Augmentation;
import org.shampoo4j.bench.data.DeviceImages;
import org.shampoo4j.bench.data.DigitsDataset;
import org.shampoo4j.bench.data.FashionMnist;
import org.shampoo4j.bench.data.LabeledImages;
import org.shampoo4j.bench.data.Shuffle;
import org.shampoo4j.bench.data.SyntheticDataset;
import org.shampoo4j.bench.data.TrainTestSplit;
import org.shampoo4j.bench.jmh.JmhDevice;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.train.DeviceMemoryProbe;
import org.shampoo4j.bench.train.TrainingStep;
import org.shampoo4j.bench.variant.BaseKind;
import org.shampoo4j.bench.variant.OptimizerRun;
import org.shampoo4j.bench.variant.OptimizerVariant;
import org.shampoo4j.bench.variant.VariantCatalogue;
import org.shampoo4j.bench.variant.VariantSettings;
import org.shampoo4j.shampoo.RefreshStacking;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Where one steady training step of the bench's loop spends its time, phase by phase: batch
 * (gather/crop/flip on the device, or assemble on the host and copy), zero-grad, forward, loss,
 * backward, step ({@code trainer.step()}: the optimizer), metrics (the loss added to the epoch's
 * device-side sum) and memory (the device-memory probe). It runs the same {@link TrainingStep}
 * and {@link DeviceImages} as the bench's {@code ModelTrainer}.
 *
 * <p>After {@code --warmup} unmeasured steps it measures {@code --steps} steps twice: once with
 * the device synchronised only at the end of each step (the phases' host times, and the step's
 * wall time as in training), once synchronised after every phase (each phase's host + device
 * time). A step that takes about as long in the first mode as the sum of its host times is
 * host-bound: the device waits for the host. Then one step is traced phase by phase with
 * libtorch's profiler ({@link OpTrace}): operator calls, kernels, device→host reads and arrays
 * made from Java memory ({@link HostReads}: on a GPU each of both waits for the device's queue;
 * counted the same on the CPU). Medians over the measured steps; writes
 * {@code OUT/train-step-profile.csv}.
 */
@Command(name = "train-step-profiler", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Profiles one steady training step of the bench's loop, phase by phase.")
public final class TrainingStepProfiler implements Callable<Integer> {
  /** The phases of a step, in the order the loop runs them. */
  enum Phase { BATCH, ZERO_GRAD, FORWARD, LOSS, BACKWARD, METRICS, STEP, MEMORY }

  @Option(names = "--device", paramLabel = "cpu|gpu", description = "Default: ${DEFAULT-VALUE}.")
  String device = "cpu";

  @Option(names = "--dataset", paramLabel = "fashion-mnist|digits|synthetic",
      description = "Default: ${DEFAULT-VALUE}.")
  String dataset = "fashion-mnist";

  @Option(names = "--data", paramLabel = "DIR",
      description = "Fashion-MNIST directory. Default: " + "/usr/share/datasets/fashion-mnist.")
  Path data;

  @Option(names = "--max-train", paramLabel = "N",
      description = "Training images kept (and uploaded). Default: all.")
  int maxTrain = Integer.MAX_VALUE;

  @Option(names = "--model", paramLabel = "mlp|resnet|resnet18|vit",
      description = "Default: ${DEFAULT-VALUE}.")
  String model = "resnet18";

  @Option(names = "--width", paramLabel = "N", description = "Default: the model's.")
  Integer width;

  @Option(names = "--variant", paramLabel = "ID", description = "Default: ${DEFAULT-VALUE}.")
  String variant = "sgd";

  @Option(names = {"-b", "--batch-size"}, paramLabel = "N",
      description = "Default: ${DEFAULT-VALUE}.")
  int batchSize = 128;

  @Option(names = "--augment", paramLabel = "none|crop-flip",
      description = "Default: ${DEFAULT-VALUE} (padding 4).")
  String augment = "crop-flip";

  @Option(names = "--data-on", paramLabel = "device|host",
      description = "Default: ${DEFAULT-VALUE}.")
  String dataOn = "device";

  @Option(names = "--t1", paramLabel = "N", description = "Shampoo's T1. Default: ${DEFAULT-VALUE}.")
  int t1 = 20;

  @Option(names = "--t2", paramLabel = "N", description = "Shampoo's T2. Default: ${DEFAULT-VALUE}.")
  int t2 = 100;

  @Option(names = "--warmup", paramLabel = "N",
      description = "Unmeasured steps first (at least T2 for a Shampoo step with roots). "
          + "Default: ${DEFAULT-VALUE}.")
  int warmup = 105;

  @Option(names = "--steps", paramLabel = "N",
      description = "Measured steps per mode (medians; T1/T2 refresh steps inside are outliers "
          + "the median drops). Default: ${DEFAULT-VALUE}.")
  int steps = 15;

  @Option(names = "--threads", paramLabel = "N", description = "Default: ${DEFAULT-VALUE}.")
  int threads = 1;

  @Option(names = "--cudnn-benchmark", paramLabel = "on|off",
      description = "Default: DJL's (off).")
  String cudnnBenchmark;

  @Option(names = "--fused-base", paramLabel = "on|off",
      description = "Base optimizers alone: one fused call per step (on) or per parameter (off)."
          + " Default: ${DEFAULT-VALUE}.")
  String fusedBase = "on";

  @Option(names = "--refresh-stacking", paramLabel = "GPU_ONLY|ALWAYS|NEVER",
      description = "Shampoo's refreshes: the blocks of one order as one stack on GPUs only, on"
          + " every device, or never. ALWAYS on the CPU counts the operator calls a GPU runs."
          + " Default: ${DEFAULT-VALUE}.")
  RefreshStacking refreshStacking = RefreshStacking.GPU_ONLY;

  @Option(names = "--out", paramLabel = "DIR", description = "Default: ${DEFAULT-VALUE}.")
  Path out = Path.of("bench-out", "profile");

  /** Entry point; exit status 2 on bad options. */
  public static void main(String[] args) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    System.exit(new CommandLine(new TrainingStepProfiler()).execute(args));
  }

  /**
   * One phase's numbers.
   *
   * @param phase the phase
   * @param hostMillis median host time with the device synchronised only at each step's end
   * @param syncedMillis median host + device time, the device synchronised after every phase
   * @param counts the operator counts of the traced step's phase
   */
  record PhaseRow(Phase phase, double hostMillis, double syncedMillis, OpTrace.Counts counts) {}

  /**
   * A profile.
   *
   * @param phases one row per phase
   * @param stepEndSyncMillis median wall time of a step synchronised only at its end
   * @param stepPhaseSyncMillis median wall time of a step synchronised after every phase
   */
  record Profile(List<PhaseRow> phases, double stepEndSyncMillis, double stepPhaseSyncMillis) {}

  @Override
  public Integer call() throws IOException {
    if (steps < 1 || warmup < 0 || threads < 1 || batchSize < 1 || maxTrain < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--steps, --threads, --batch-size and --max-train must be positive, --warmup >= 0");
    }
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(threads));
    Device dev;
    ModelKind kind;
    LabeledImages train;
    Augmentation augmentation;
    OptimizerVariant v;
    try {
      if (cudnnBenchmark != null) {
        CudnnBenchmark.set(CudnnBenchmark.parse(cudnnBenchmark));
      }
      if (!fusedBase.equals("on") && !fusedBase.equals("off")) {
        throw new IllegalArgumentException("--fused-base must be on or off, got '" + fusedBase
            + "'");
      }
      if (!dataOn.equals("device") && !dataOn.equals("host")) {
        throw new IllegalArgumentException("--data-on must be device or host, got '" + dataOn
            + "'");
      }
      dev = JmhDevice.resolve(device);
      kind = modelKind(model);
      train = load().train().head(maxTrain);
      augmentation = switch (augment) {
        case "crop-flip" -> Augmentation.cropAndFlip(4);
        case "none" -> Augmentation.none();
        default -> throw new IllegalArgumentException(
            "--augment must be none or crop-flip, got '" + augment + "'");
      };
      v = VariantCatalogue.standard().select(List.of(variant)).get(0);
    } catch (IllegalArgumentException | IOException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage(), e);
    }
    BaseKind base = kind == ModelKind.VIT ? BaseKind.ADAMW : BaseKind.SGD;
    boolean fused = fusedBase.equals("on");
    VariantSettings settings = VariantSettings.builder().sgdLearningRate(0.1f)
        .adamwLearningRate(1e-3f).sgdWeightDecay(5e-4f).adamwWeightDecay(0.05f)
        .shampooBase(base).statisticInterval(t1).rootInterval(t2)
        .fusedBase(fused).refreshStacking(refreshStacking).build();
    int w = width != null ? width : kind.defaultWidth();
    Profile p = profile(train, kind, w, v, settings, dev, augmentation,
        dataOn.equals("device"), batchSize, warmup, steps, out);
    String title = String.format(Locale.ROOT, "One training step: %s on %s width %d, batch %d, "
            + "%s, data on %s, augmentation %s, cuDNN benchmark %s, %d thread(s), fused base %s, "
            + "refresh stacking %s; medians of %d steps after %d", v.id(), kind.cliName(), w,
        batchSize, dev, dataOn, augmentation, System.getProperty(CudnnBenchmark.PROPERTY, "false"),
        threads, fusedBase, refreshStacking, steps, warmup);
    System.out.println(title);
    System.out.print(render(p));
    Files.createDirectories(out);
    Path csv = out.resolve("train-step-profile.csv");
    Files.writeString(csv, csv(p), StandardCharsets.UTF_8);
    System.out.println("wrote " + csv);
    return 0;
  }

  private static ModelKind modelKind(String name) {
    for (ModelKind k : ModelKind.values()) {
      if (k.cliName().equals(name)) {
        return k;
      }
    }
    throw new IllegalArgumentException("--model must be mlp, resnet, resnet18 or vit, got '"
        + name + "'");
  }

  private TrainTestSplit load() throws IOException {
    return switch (dataset) {
      case "fashion-mnist" -> FashionMnist.load(data != null ? data : FashionMnist.SYSTEM_DIRECTORY,
          maxTrain, 1);
      case "digits" -> DigitsDataset.split(0.2, 42);
      case "synthetic" -> SyntheticDataset.generate(Math.min(maxTrain, 100_000), 10, 42);
      default -> throw new IllegalArgumentException(
          "--dataset must be fashion-mnist, digits or synthetic");
    };
  }

  /** Builds the model and optimizer as the bench does, trains, measures and traces. */
  static Profile profile(LabeledImages train, ModelKind kind, int width, OptimizerVariant variant,
      VariantSettings settings, Device device, Augmentation augmentation, boolean dataOnDevice,
      int batchSize, int warmup, int steps, Path scratch) {
    kind.checkInput(train.channels(), train.height(), train.width());
    Block block = kind.build(width, train.classes());
    Shape inputShape = new Shape(1, train.channels(), train.height(), train.width());
    Random order = new Random(42);
    Random augment = new Random(43);
    DeviceMemoryProbe memory = DeviceMemoryProbe.of(device);
    try (OptimizerRun run = variant.create(settings);
        Model djlModel = Model.newInstance("profile-" + variant.id(), device)) {
      djlModel.setBlock(block);
      DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
          .optOptimizer(run.optimizer()).optDevices(new Device[] {device})
          .optInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
      try (Trainer trainer = djlModel.newTrainer(config)) {
        Engine.getInstance().setRandomSeed(42);
        trainer.initialize(inputShape);
        run.prepare(block);
        TrainingStep step = TrainingStep.of(trainer, block, run);
        Stepper stepper = new Stepper(step, trainer, train, augmentation, dataOnDevice,
            batchSize, order, augment, memory);
        try {
          for (int i = 0; i < warmup; i++) {
            stepper.run(Mode.END_SYNC, null);
          }
          Map<Phase, double[]> host = new EnumMap<>(Phase.class);
          Map<Phase, double[]> synced = new EnumMap<>(Phase.class);
          for (Phase ph : Phase.values()) {
            host.put(ph, new double[steps]);
            synced.put(ph, new double[steps]);
          }
          double[] endSync = new double[steps];
          double[] phaseSync = new double[steps];
          for (int i = 0; i < steps; i++) {
            double[] t = new double[Phase.values().length];
            endSync[i] = stepper.run(Mode.END_SYNC, t);
            for (Phase ph : Phase.values()) {
              host.get(ph)[i] = t[ph.ordinal()];
            }
          }
          for (int i = 0; i < steps; i++) {
            double[] t = new double[Phase.values().length];
            phaseSync[i] = stepper.run(Mode.PHASE_SYNC, t);
            for (Phase ph : Phase.values()) {
              synced.get(ph)[i] = t[ph.ordinal()];
            }
          }
          Map<Phase, OpTrace.Counts> traced = stepper.trace(scratch);
          List<PhaseRow> rows = new ArrayList<>();
          for (Phase ph : Phase.values()) {
            rows.add(new PhaseRow(ph, median(host.get(ph)), median(synced.get(ph)),
                traced.get(ph)));
          }
          return new Profile(rows, median(endSync), median(phaseSync));
        } finally {
          stepper.close();
        }
      }
    }
  }

  /** How a measured step waits for the device. */
  enum Mode { END_SYNC, PHASE_SYNC }

  /** Runs the bench's step phase by phase over an endless sequence of epochs. */
  private static final class Stepper implements AutoCloseable {
    private final TrainingStep step;
    private final Trainer trainer;
    private final LabeledImages train;
    private final Augmentation augmentation;
    private final int batchSize;
    private final Random order;
    private final Random augment;
    private final DeviceMemoryProbe memory;
    private final DeviceImages onDevice;
    private final NDManager sums;
    private final NDArray sum;
    private NDManager epochManager;
    private DeviceImages.Epoch epoch;
    private int[] perm;
    private int from;

    Stepper(TrainingStep step, Trainer trainer, LabeledImages train, Augmentation augmentation,
        boolean dataOnDevice, int batchSize, Random order, Random augment, DeviceMemoryProbe memory) {
      this.step = step;
      this.trainer = trainer;
      this.train = train;
      this.augmentation = augmentation;
      this.batchSize = Math.min(batchSize, train.size());
      this.order = order;
      this.augment = augment;
      this.memory = memory;
      this.onDevice = dataOnDevice
          ? DeviceImages.upload(train, augmentation, trainer.getManager()) : null;
      this.sums = trainer.getManager().newSubManager();
      this.sum = sums.zeros(new Shape(), DataType.FLOAT32);
    }

    /** Starts an epoch when the last one has no full batch left (every step is full-size). */
    private void nextBatchRange() {
      if (perm == null || from + batchSize > perm.length) {
        if (epochManager != null) {
          epochManager.close();
        }
        perm = Shuffle.permutation(train.size(), order);
        epochManager = trainer.getManager().newSubManager();
        epoch = onDevice == null ? null
            : onDevice.epoch(perm, augmentation.draw(perm.length, augment), epochManager);
        from = 0;
      }
    }

    /**
     * One step; {@code times} (if not null) receives each phase's milliseconds. Returns the
     * step's wall milliseconds, device work included (synchronised at the end).
     */
    double run(Mode mode, double[] times) {
      nextBatchRange();
      int to = from + batchSize;
      long start = System.nanoTime();
      try (NDManager batch = trainer.getManager().newSubManager()) {
        Phases p = new Phases(mode, times);
        NDArray[] xy = new NDArray[2];
        p.time(Phase.BATCH, () -> {
          xy[0] = epoch != null ? epoch.images(batch, from, to)
              : train.imageBatch(batch, perm, from, to, augmentation, augment);
          xy[1] = epoch != null ? epoch.labels(batch, from, to)
              : train.labelBatch(batch, perm, from, to);
        });
        p.time(Phase.ZERO_GRAD, () -> step.zeroGradients(batch));
        try (GradientCollector gc = trainer.newGradientCollector()) {
          NDArray[] out = new NDArray[2];
          p.time(Phase.FORWARD, () -> out[0] = step.forward(xy[0]));
          p.time(Phase.LOSS, () -> out[1] = step.loss(xy[1], out[0]));
          p.time(Phase.BACKWARD, () -> step.backward(gc, out[1]));
          p.time(Phase.METRICS, () -> step.accumulate(sum, out[1], to - from));
        }
        p.time(Phase.STEP, step::update);
        p.time(Phase.MEMORY, memory::usedBytes);
      }
      sync();
      from = to;
      return (System.nanoTime() - start) / 1e6;
    }

    /** One step with every phase traced on its own. */
    Map<Phase, OpTrace.Counts> trace(Path scratch) {
      nextBatchRange();
      int to = from + batchSize;
      Map<Phase, OpTrace.Counts> counts = new EnumMap<>(Phase.class);
      try (NDManager batch = trainer.getManager().newSubManager()) {
        NDArray[] xy = new NDArray[2];
        counts.put(Phase.BATCH, OpTrace.trace(() -> {
          xy[0] = epoch != null ? epoch.images(batch, from, to)
              : train.imageBatch(batch, perm, from, to, augmentation, augment);
          xy[1] = epoch != null ? epoch.labels(batch, from, to)
              : train.labelBatch(batch, perm, from, to);
        }, scratch));
        counts.put(Phase.ZERO_GRAD, OpTrace.trace(() -> step.zeroGradients(batch), scratch));
        try (GradientCollector gc = trainer.newGradientCollector()) {
          NDArray[] out = new NDArray[2];
          counts.put(Phase.FORWARD, OpTrace.trace(() -> out[0] = step.forward(xy[0]), scratch));
          counts.put(Phase.LOSS, OpTrace.trace(() -> out[1] = step.loss(xy[1], out[0]), scratch));
          counts.put(Phase.BACKWARD, OpTrace.trace(() -> step.backward(gc, out[1]), scratch));
          counts.put(Phase.METRICS, OpTrace.trace(
              () -> step.accumulate(sum, out[1], to - from), scratch));
        }
        counts.put(Phase.STEP, OpTrace.trace(step::update, scratch));
        counts.put(Phase.MEMORY, OpTrace.trace(memory::usedBytes, scratch));
      }
      sync();
      from = to;
      return counts;
    }

    /** Waits for the device's queue: a read to the host waits for every kernel before it. */
    void sync() {
      sum.getFloat();
    }

    @Override
    public void close() {
      if (epochManager != null) {
        epochManager.close();
      }
      sums.close();
      if (onDevice != null) {
        onDevice.close();
      }
    }

    /** Times phases in one mode. */
    private final class Phases {
      private final Mode mode;
      private final double[] times;

      Phases(Mode mode, double[] times) {
        this.mode = mode;
        this.times = times;
      }

      void time(Phase phase, Runnable work) {
        long t0 = System.nanoTime();
        work.run();
        if (mode == Mode.PHASE_SYNC) {
          sync();
        }
        if (times != null) {
          times[phase.ordinal()] = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  static String render(Profile p) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "%-10s %10s %12s %7s %8s %6s %7s  %s%n", "phase", "host ms", "synced ms", "calls",
        "kernels", "reads", "writes", "most frequent calls"));
    double hostSum = 0;
    double syncedSum = 0;
    for (PhaseRow r : p.phases()) {
      hostSum += r.hostMillis();
      syncedSum += r.syncedMillis();
      StringBuilder top = new StringBuilder();
      List<Map.Entry<String, Integer>> calls = r.counts().topCalls();
      for (Map.Entry<String, Integer> e : calls.subList(0, Math.min(12, calls.size()))) {
        top.append(e.getKey().replace("aten::", "")).append('×').append(e.getValue())
            .append(' ');
      }
      sb.append(String.format(Locale.ROOT, "%-10s %10.3f %12.3f %7d %8d %6d %7d  %s%n",
          r.phase().name().toLowerCase(Locale.ROOT).replace('_', '-'), r.hostMillis(),
          r.syncedMillis(), r.counts().calls(), r.counts().kernels(), r.counts().hostReads(),
          r.counts().hostWrites(), top.toString().trim()));
    }
    sb.append(String.format(Locale.ROOT, "%-10s %10.3f %12.3f%n", "sum", hostSum, syncedSum));
    sb.append(String.format(Locale.ROOT,
        "step wall: %.3f ms synchronised at its end, %.3f ms synchronised after every phase; "
            + "host time of the phases %.3f ms (a step near its host time is host-bound; "
            + "'host ms' of a phase that reads from the device includes waiting for it)%n",
        p.stepEndSyncMillis(), p.stepPhaseSyncMillis(), hostSum));
    return sb.toString();
  }

  private static String csv(Profile p) {
    StringBuilder sb = new StringBuilder(
        "phase,host_ms,synced_ms,calls,kernels,host_reads,host_writes,op_ms\n");
    for (PhaseRow r : p.phases()) {
      sb.append(String.format(Locale.ROOT, "%s,%.4f,%.4f,%d,%d,%d,%d,%.4f%n",
          r.phase().name().toLowerCase(Locale.ROOT), r.hostMillis(), r.syncedMillis(),
          r.counts().calls(), r.counts().kernels(), r.counts().hostReads(),
          r.counts().hostWrites(), r.counts().opMicros() / 1e3));
    }
    sb.append(String.format(Locale.ROOT, "step_end_sync,%.4f,,,,,,%n", p.stepEndSyncMillis()));
    sb.append(String.format(Locale.ROOT, "step_phase_sync,,%.4f,,,,,%n",
        p.stepPhaseSyncMillis()));
    return sb.toString();
  }
}
