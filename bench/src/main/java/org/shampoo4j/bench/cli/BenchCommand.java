package org.shampoo4j.bench.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.shampoo4j.bench.data.Augmentation;
import org.shampoo4j.bench.data.DataDirectory;
import org.shampoo4j.bench.data.DigitsDataset;
import org.shampoo4j.bench.data.FashionMnist;
import org.shampoo4j.bench.data.LabeledImages;
import org.shampoo4j.bench.data.SyntheticDataset;
import org.shampoo4j.bench.data.TrainTestSplit;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.report.ChartWriter;
import org.shampoo4j.bench.report.CsvReport;
import org.shampoo4j.bench.train.ModelTrainer;
import org.shampoo4j.bench.train.RunCheckpoints;
import org.shampoo4j.bench.train.RunResult;
import org.shampoo4j.bench.train.TrainingSettings;
import org.shampoo4j.bench.variant.BaseKind;
import org.shampoo4j.bench.variant.LearningRateSchedule;
import org.shampoo4j.bench.variant.OptimizerVariant;
import org.shampoo4j.bench.variant.VariantCatalogue;
import org.shampoo4j.bench.variant.VariantSettings;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.distributed.DeviceGroup;
import org.shampoo4j.shampoo.distributed.Distribution;
import org.shampoo4j.shampoo.distributed.GradientReduction;
import org.shampoo4j.shampoo.distributed.Replicated;
import org.shampoo4j.shampoo.distributed.Sharded;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code shampoo4j-bench} command: trains one model per optimizer variant on the same data,
 * seed and initial weights, then prints a comparison table and writes CSV files and PNG plots.
 */
@Command(
    name = "shampoo4j-bench",
    mixinStandardHelpOptions = true,
    version = "shampoo4j-bench 0.1.0",
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Trains a model with each optimizer variant (SGD-momentum, AdamW, 4-bit AdamW, 32-bit "
          + "Shampoo and the 4-bit Shampoo variants) and compares final loss, test accuracy, "
          + "wall time, optimizer-state memory and peak device memory.",
      "",
      "Without options it trains the MLP (width " + BenchCommand.DEFAULT_WIDTH + ") on the "
          + "built-in UCI digits (1,797 8x8 images, 80/20 split) for "
          + BenchCommand.DEFAULT_EPOCHS + " epochs with every variant, batch 64, T1 = 10 and T2 = "
          + "50 (shorter than the papers' 100/500, so that the short run refreshes its "
          + "preconditioners), on the CPU with one PyTorch thread; that takes about one minute of "
          + "CPU time (under three minutes on two shared cores). Every number printed comes from "
          + "the run.",
      "",
      "Options marked 'per model' default to the model's recipe: mlp and resnet as above; "
          + "resnet18 and vit: 5 epochs, batch 128, warm-up 1 epoch + cosine decay, random crop "
          + "(padding 4) + flip, T1 = 20, T2 = 100; SGD lr 0.1, weight decay 5e-4 (resnet18's "
          + "Shampoo base); AdamW lr 1e-3, weight decay 0.05 (vit's Shampoo base).",
      ""
    },
    footer = {
      "",
      "Outputs in --out: summary.csv (one row per variant, with ratios to shampoo32 and to the "
          + "base optimizer), curves.csv (per epoch), loss.png, accuracy.png, memory.png. The CSV "
          + "files are rewritten after every epoch, so an interrupted run (Ctrl-C) keeps every "
          + "finished epoch.",
      "Variants: sgd, adamw, adamw4, shampoo32, naive4, eigen4-l2, eigen4-dt, chol4, chol4-ef.",
      "Exit status: 0 all variants completed (also when the charts cannot be drawn, e.g. on a JRE "
          + "without java.desktop or fonts: a warning, the table and CSV files are complete); 1 a "
          + "variant failed or diverged (reports are still written); 2 bad options or data."
    })
public final class BenchCommand implements Callable<Integer> {
  /** Default epochs of the no-option run. */
  public static final int DEFAULT_EPOCHS = 15;
  /** Default model width of the no-option run. */
  public static final int DEFAULT_WIDTH = 128;

  @Spec CommandSpec spec;

  @Option(names = "--variants", split = ",", paramLabel = "ID[,ID...]",
      description = "Variants to run, comma-separated, in this order (default: all).")
  List<String> variants = new ArrayList<>();

  @Option(names = "--list-variants", description = "Print the variants with descriptions and exit.")
  boolean listVariants;

  @Option(names = "--model", paramLabel = "mlp|resnet|resnet18|vit",
      description = "Network: mlp (2 hidden ReLU layers), resnet (tiny residual CNN with batch "
          + "norm), resnet18 (ResNet-18 for small images, widths 64-512 at --width 64) or vit "
          + "(vision transformer: 4x4 patches, 6 pre-norm blocks, layer norm, width 192). "
          + "Default: ${DEFAULT-VALUE}.", defaultValue = "mlp")
  ModelKind model;

  @Option(names = "--width", paramLabel = "N",
      description = "MLP hidden units; resnet: 4x the stem's channels; resnet18: first stage's "
          + "channels; vit: embedding width (one head per 64). Default: per model (128, 128, 64, "
          + "192).")
  Integer width;

  @Option(names = "--dataset", paramLabel = "digits|synthetic|fashion-mnist",
      description = "Data: digits (built in: UCI optdigits, CC BY 4.0), synthetic (seeded "
          + "teacher-network task, 2000 train / 500 test) or fashion-mnist (60k/10k 28x28, read "
          + "from --data or /usr/share/datasets/fashion-mnist: Debian's dataset-fashion-mnist). "
          + "Default: ${DEFAULT-VALUE}.", defaultValue = "digits")
  Choices.Dataset dataset;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Local MNIST / Fashion-MNIST (IDX files, gz or not; also a subset written by "
          + "IdxSubsetCommand) or CIFAR-10 (binary batches) directory; nothing is downloaded.")
  Path data;

  @Option(names = "--max-train", paramLabel = "N",
      description = "Use at most N training images (the first N). Default: all.")
  int maxTrain = Integer.MAX_VALUE;

  @Option(names = "--max-test", paramLabel = "N",
      description = "Use at most N test images. Default: all.")
  int maxTest = Integer.MAX_VALUE;

  @Option(names = "--epochs", paramLabel = "N",
      description = "Epochs. Default: per model (" + DEFAULT_EPOCHS + ", " + DEFAULT_EPOCHS
          + ", 5, 5).")
  Integer epochs;

  @Option(names = {"-b", "--batch-size"}, paramLabel = "N",
      description = "Batch size. Default: per model (64, 64, 128, 128).")
  Integer batchSize;

  @Option(names = "--seed", paramLabel = "N",
      description = "Seed of data split, initial weights, batch order and augmentation. "
          + "Default: ${DEFAULT-VALUE}.")
  long seed = 42;

  @Option(names = "--device", paramLabel = "cpu|gpu",
      description = "Where to train. gpu needs a CUDA build of the PyTorch native library on "
          + "the class path. Default: ${DEFAULT-VALUE}.", defaultValue = "cpu")
  Choices.DeviceKind device;

  @Option(names = "--devices", paramLabel = "N",
      description = "Train on the first N GPUs with DJL's multi-device trainer (optDevices; DJL "
          + "splits each batch across them and sums the gradients). N > 1 needs --device gpu. "
          + "Default: ${DEFAULT-VALUE}.")
  int devices = 1;

  @Option(names = "--distribution", paramLabel = "replicated|sharded",
      description = "Shampoo on several devices: replicated (every device keeps the whole "
          + "optimizer state and repeats the step, as DJL's optimizers do) or sharded (every "
          + "preconditioner block has one owner device; the step runs once and the new weights "
          + "are copied to the replicas). Default: ${DEFAULT-VALUE}.", defaultValue = "replicated")
  Choices.DistributionKind distribution;

  @Option(names = "--reduction", paramLabel = "mean|sum",
      description = "What every optimizer does with DJL's summed multi-device gradient: mean "
          + "(divide by N: the step of one device on the same global batch) or sum (DJL's own "
          + "optimizers). Default: ${DEFAULT-VALUE}.", defaultValue = "mean")
  GradientReduction reduction;

  @Option(names = "--threads", paramLabel = "N",
      description = "PyTorch intra-op and inter-op threads, set before the engine starts. The "
          + "bench's tensors are small, so more threads mostly add synchronisation (and stall "
          + "badly on a busy machine). Default: ${DEFAULT-VALUE}.")
  int threads = 1;

  @Option(names = "--cudnn-benchmark", paramLabel = "on|off",
      description = "cuDNN's algorithm search for convolutions on a GPU (DJL's "
          + "ai.djl.pytorch.cudnn_benchmark, set before the engine starts). Default: DJL's (off, "
          + "unless -Dai.djl.pytorch.cudnn_benchmark=true).")
  String cudnnBenchmark;

  @Option(names = "--data-on", paramLabel = "device|host",
      description = "device: copy the data sets to the training device once and gather, crop and "
          + "flip each batch there (no host-device copy per step); host: assemble and augment "
          + "each batch on the host and copy it (for data that does not fit on the device). Both "
          + "give the same images. Default: ${DEFAULT-VALUE}.", defaultValue = "device")
  Choices.DataPlacement dataOn;

  @Option(names = "--lr-sgd", paramLabel = "LR",
      description = "Peak learning rate of SGD-momentum (and of Shampoo on SGD). "
          + "Default: per model (0.05, 0.05, 0.1, 0.1).")
  Float lrSgd;

  @Option(names = "--lr-adamw", paramLabel = "LR",
      description = "Peak learning rate of AdamW and 4-bit AdamW (and of Shampoo on AdamW). "
          + "Default: per model (0.002, 0.002, 0.001, 0.001).")
  Float lrAdamw;

  @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum. Default: ${DEFAULT-VALUE}.")
  float momentum = 0.9f;

  @Option(names = "--weight-decay", paramLabel = "WD",
      description = "Weight decay of both base optimizers (overrides the two below).")
  Float weightDecay;

  @Option(names = "--weight-decay-sgd", paramLabel = "WD",
      description = "Coupled L2 weight decay of SGD-momentum. Default: per model (0, 0, 5e-4, "
          + "5e-4).")
  Float weightDecaySgd;

  @Option(names = "--weight-decay-adamw", paramLabel = "WD",
      description = "Decoupled weight decay of AdamW. Default: per model (0, 0, 0.05, 0.05).")
  Float weightDecayAdamw;

  @Option(names = "--schedule", paramLabel = "constant|cosine",
      description = "Learning-rate schedule: constant, or linear warm-up (--warmup-epochs) then "
          + "cosine decay to 0 at the last step. Default: per model (constant for mlp/resnet, "
          + "cosine for resnet18/vit).")
  Choices.Schedule schedule;

  @Option(names = "--warmup-epochs", paramLabel = "N",
      description = "Epochs of linear warm-up before the cosine decay. Default: per model (0, 0, "
          + "1, 1).")
  Integer warmupEpochs;

  @Option(names = "--augment", paramLabel = "none|crop-flip",
      description = "Training-image augmentation: none, or random crop (zero padding "
          + "--crop-padding) and horizontal flip. Default: per model (none for mlp/resnet, "
          + "crop-flip for resnet18/vit; use none for digits).")
  Choices.Augment augment;

  @Option(names = "--crop-padding", paramLabel = "PX",
      description = "Padding of the random crop. Default: ${DEFAULT-VALUE}.")
  int cropPadding = 4;

  @Option(names = "--shampoo-base", paramLabel = "sgd|adamw",
      description = "Base optimizer Shampoo grafts onto. Default: per model (sgd, sgd, sgd, "
          + "adamw).")
  BaseKind shampooBase;

  @Option(names = "--t1", paramLabel = "N",
      description = "Shampoo statistic update interval T1 (steps). Default: per model (10, 10, "
          + "20, 20).")
  Integer t1;

  @Option(names = "--t2", paramLabel = "N",
      description = "Shampoo inverse-root interval T2 (steps). Default: per model (50, 50, 100, "
          + "100).")
  Integer t2;

  @Option(names = "--non-finite-policy",
      paramLabel = "guarded|throw|skip|deferred-throw|unchecked",
      description = "What every variant does with a non-finite gradient (see NonFinitePolicy);"
          + " throw reads max|g| to the host per parameter and step, guarded once per step."
          + " Default: ${DEFAULT-VALUE}.", defaultValue = "guarded")
  NonFinitePolicy nonFinitePolicy;

  @Option(names = "--fused-base", paramLabel = "on|off",
      description = "Base optimizers run alone (sgd, adamw) take each step as one fused call for"
          + " all parameters (on) or per parameter (off, the reference path; same results bit for"
          + " bit). Default: ${DEFAULT-VALUE}.", defaultValue = "on")
  Choices.Switch fusedBase;

  @Option(names = "--max-order", paramLabel = "N",
      description = "Largest preconditioner order before blocking. Default: ${DEFAULT-VALUE}.")
  int maxOrder = 1200;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Output directory for CSV and PNG files. Default: ${DEFAULT-VALUE}.")
  Path out = Path.of("bench-out");

  @Option(names = "--append",
      description = "Keep the runs already in --out's summary.csv (a run of the same variant "
          + "replaces its row) and report them with this invocation's. Lets one variant run per "
          + "process, which peak device memory needs: PyTorch does not return cached GPU memory "
          + "between runs of one process.")
  boolean append;

  @Option(names = "--no-charts",
      description = "Write no PNG charts (the table and CSV files only).")
  boolean noCharts;

  @Option(names = "--checkpoint", paramLabel = "DIR",
      description = "After every epoch save each run's model parameters, optimizer state and "
          + "progress under DIR/<variant>/ (atomically: temporary files, then renames; the "
          + "previous epoch's checkpoint is removed once the new one is complete).")
  Path checkpoint;

  @Option(names = "--resume", paramLabel = "DIR",
      description = "Continue each variant from its latest checkpoint in DIR (written by "
          + "--checkpoint with the same options). A variant without a "
          + "checkpoint starts fresh. The resumed run's numbers equal an uninterrupted run's.")
  Path resume;

  @Option(names = "--no-progress",
      description = "Print one line per epoch (loss, accuracy, ETA) instead of progress bars.")
  boolean noProgress;

  /** Draws the PNG charts; replaced in tests to simulate a JRE that cannot draw. */
  private final ChartWriter chartWriter;

  /** Creates the command with its defaults and XChart charts; picocli fills the options. */
  public BenchCommand() {
    this(ChartWriter.xchart());
  }

  /** Creates the command with its defaults, drawing charts with {@code chartWriter}. */
  BenchCommand(ChartWriter chartWriter) {
    this.chartWriter = chartWriter;
  }

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(commandLine().execute(args));
  }

  /** A picocli command line for a fresh instance of this command. */
  public static CommandLine commandLine() {
    return commandLine(new BenchCommand());
  }

  /** A picocli command line for {@code command}. */
  static CommandLine commandLine(BenchCommand command) {
    CommandLine cl = new CommandLine(command);
    CliEnumConverter.register(cl, ModelKind.class, Choices.Dataset.class,
        Choices.DeviceKind.class, Choices.DistributionKind.class, GradientReduction.class,
        Choices.DataPlacement.class, Choices.Schedule.class, Choices.Augment.class,
        BaseKind.class, NonFinitePolicy.class, Choices.Switch.class);
    return ShortUsageErrors.install(cl);
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    VariantCatalogue catalogue = VariantCatalogue.standard();
    if (listVariants) {
      for (OptimizerVariant v : catalogue.all()) {
        out.printf(Locale.ROOT, "%-10s %s%n", v.id(), v.description());
      }
      out.flush();
      return 0;
    }
    configureEngine();
    BenchRun run = plan(catalogue);
    run.printHeader(out);
    RunJournal journal;
    // Held until the run ends: another run must not save into (or clean) the same directory.
    try (java.io.Closeable lock = checkCheckpoints(run.saveTo(), run.resumeFrom(),
        run.variants(), out)) {
      journal = run.train(out, err);
    }
    return run.report(journal, out, err,
        noCharts ? Optional.empty() : Optional.of(chartWriter));
  }

  /** Threads and cuDNN, which DJL reads once, when the PyTorch engine starts. */
  private void configureEngine() {
    if (threads < 1) {
      throw usage("--threads must be positive, got " + threads, null);
    }
    // An explicit -D setting wins.
    setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(threads));
    setIfAbsent("ai.djl.pytorch.num_interop_threads", Integer.toString(threads));
    if (cudnnBenchmark != null) {
      try {
        CudnnBenchmark.set(CudnnBenchmark.parse(cudnnBenchmark));
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage(), e);
      }
    }
  }

  /**
   * Checks the options, loads the data and sets up the trainer: every usage error is found here,
   * before the first step (a run must not train for hours and then fail to write).
   */
  private BenchRun plan(VariantCatalogue catalogue) {
    List<OptimizerVariant> selected;
    TrainingRecipe recipe = TrainingRecipe.of(model);
    TrainingSettings trainingSettings;
    try {
      selected = variants.isEmpty() ? catalogue.all() : catalogue.select(variants);
      trainingSettings = trainingSettings(recipe);
      if (maxTrain < 1 || maxTest < 1) {
        throw new IllegalArgumentException("--max-train and --max-test must be positive");
      }
      OutputDirectories.requireWritable(this.out, "--out");
      if (checkpoint != null) {
        OutputDirectories.requireWritable(checkpoint, "--checkpoint");
      }
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage(), e);
    }
    TrainTestSplit split = data();
    ModelTrainer trainer = new ModelTrainer(split, model, trainingSettings);
    VariantSettings variantSettings;
    try {
      variantSettings = variantSettings(recipe, trainingSettings, trainer.stepsPerEpoch());
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage(), e);
    }
    Optional<RunCheckpoints> saveTo = Optional.ofNullable(checkpoint).map(RunCheckpoints::new);
    Optional<RunCheckpoints> resumeFrom = Optional.ofNullable(resume).map(RunCheckpoints::new);
    trainer = trainer.withCheckpoints(saveTo, resumeFrom,
        BenchRun.setup(split, model, trainingSettings, variantSettings));
    return new BenchRun(selected, model, split, trainingSettings, variantSettings, trainer,
        saveTo, resumeFrom, earlierResults(), this.out);
  }

  private TrainingSettings trainingSettings(TrainingRecipe recipe) {
    return TrainingSettings.builder()
        .epochs(or(epochs, recipe.epochs())).batchSize(or(batchSize, recipe.batchSize()))
        .seed(seed).width(or(width, model.defaultWidth()))
        .devices(devices()).progress(!noProgress)
        .augmentation(augmentation(recipe))
        .dataOnDevice(dataOn == Choices.DataPlacement.DEVICE)
        .build();
  }

  /** The data, limited to --max-train / --max-test, checked against the model's input. */
  private TrainTestSplit data() {
    try {
      TrainTestSplit split = loadData().limit(maxTrain, maxTest);
      LabeledImages train = split.train();
      model.checkInput(train.channels(), train.height(), train.width());
      return split;
    } catch (IOException | IllegalArgumentException e) {
      throw usage("cannot load data: " + e.getMessage(), e);
    }
  }

  /** With --append, the runs already in --out's summary; none otherwise. */
  private List<RunResult> earlierResults() {
    if (!append) {
      return List.of();
    }
    try {
      return CsvReport.read(this.out);
    } catch (IOException e) {
      throw usage("--append: cannot read the earlier results: " + e.getMessage(), e);
    }
  }

  /**
   * Removes what killed saves left in the checkpoint directory, and verifies every variant's
   * checkpoint to resume from (manifest, progress, generators) before the first variant trains.
   */
  private java.io.Closeable checkCheckpoints(Optional<RunCheckpoints> saveTo,
      Optional<RunCheckpoints> resumeFrom, List<OptimizerVariant> selected, PrintWriter out) {
    java.io.Closeable lock = () -> { };
    if (saveTo.isPresent()) {
      try {
        lock = saveTo.get().lock();
      } catch (IOException e) {
        throw usage("--checkpoint: " + e.getMessage(), e);
      }
      try {
        int removed = saveTo.get().removeDebris();
        if (removed > 0) {
          out.println("removed " + removed + " temporary file(s) of interrupted saves from "
              + saveTo.get().directory());
        }
      } catch (IOException e) {
        closeQuietly(lock);
        throw usage("--checkpoint: cannot remove temporary files of interrupted saves: " + e, e);
      }
    }
    try {
      if (resumeFrom.isPresent()) {
        for (OptimizerVariant v : selected) {
          resumeFrom.get().latest(v.id());
        }
      }
    } catch (IOException e) {
      closeQuietly(lock);
      throw usage("--resume: " + e.getMessage(), e);
    }
    return lock;
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // Releasing a lock on the way out of a usage error; the process ends anyway.
    }
  }

  private VariantSettings variantSettings(TrainingRecipe recipe, TrainingSettings training,
      int stepsPerEpoch) {
    boolean cosine = schedule == null ? recipe.cosine() : schedule == Choices.Schedule.COSINE;
    int warmup = or(warmupEpochs, recipe.warmupEpochs());
    if (warmup < 0) {
      throw new IllegalArgumentException("--warmup-epochs must be non-negative, got " + warmup);
    }
    int totalSteps = training.epochs() * stepsPerEpoch;
    LearningRateSchedule lr = cosine
        ? LearningRateSchedule.warmupCosine(Math.min(warmup * stepsPerEpoch, totalSteps - 1),
            totalSteps)
        : LearningRateSchedule.constant();
    BaseKind base = shampooBase == null ? recipe.shampooBase() : shampooBase;
    return VariantSettings.builder()
        .sgdLearningRate(or(lrSgd, recipe.sgdLearningRate()))
        .adamwLearningRate(or(lrAdamw, recipe.adamwLearningRate()))
        .momentum(momentum)
        .sgdWeightDecay(weightDecay != null ? weightDecay
            : or(weightDecaySgd, recipe.sgdWeightDecay()))
        .adamwWeightDecay(weightDecay != null ? weightDecay
            : or(weightDecayAdamw, recipe.adamwWeightDecay()))
        .schedule(lr)
        .shampooBase(base)
        .statisticInterval(or(t1, recipe.t1())).rootInterval(or(t2, recipe.t2()))
        .maxOrder(maxOrder)
        .distribution(distribution(training))
        .nonFinitePolicy(nonFinitePolicy)
        .fusedBase(fusedBase == Choices.Switch.ON)
        .build();
  }

  /** The Shampoo distribution over the training devices, from --distribution and --reduction. */
  private Distribution distribution(TrainingSettings training) {
    List<Device> list = training.devices();
    return switch (distribution) {
      case REPLICATED -> new Replicated(list.size(), reduction);
      case SHARDED -> Sharded.builder(DeviceGroup.of(list.toArray(new Device[0])))
          .reduction(reduction).build();
    };
  }

  /** The training devices: --devices GPUs, or the one --device. */
  private List<Device> devices() {
    if (devices < 1) {
      throw new IllegalArgumentException("--devices must be positive, got " + devices);
    }
    Device first = device();
    if (devices == 1) {
      return List.of(first);
    }
    if (!first.isGpu()) {
      throw new IllegalArgumentException("--devices " + devices + " needs --device gpu: DJL's "
          + "PyTorch engine has one CPU device, so multi-device training needs GPUs");
    }
    int gpus = Engine.getInstance().getGpuCount();
    if (gpus < devices) {
      throw new IllegalArgumentException("--devices " + devices + ": the PyTorch engine sees "
          + gpus + " GPU(s)");
    }
    List<Device> list = new ArrayList<>();
    for (int i = 0; i < devices; i++) {
      list.add(Device.gpu(i));
    }
    return list;
  }

  private Augmentation augmentation(TrainingRecipe recipe) {
    boolean on = augment == null ? recipe.augment() : augment == Choices.Augment.CROP_FLIP;
    return on ? Augmentation.cropAndFlip(cropPadding) : Augmentation.none();
  }

  private ParameterException usage(String message, Exception cause) {
    return new ParameterException(spec.commandLine(), message, cause);
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private TrainTestSplit loadData() throws IOException {
    if (dataset == Choices.Dataset.FASHION_MNIST) {
      return FashionMnist.load(data != null ? data : FashionMnist.SYSTEM_DIRECTORY, maxTrain,
          maxTest);
    }
    if (data != null) {
      return DataDirectory.load(data, maxTrain, maxTest);
    }
    return switch (dataset) {
      case DIGITS -> DigitsDataset.split(0.2, seed);
      case SYNTHETIC -> SyntheticDataset.generate(2000, 500, seed);
      case FASHION_MNIST -> throw new AssertionError("handled above");
    };
  }

  private Device device() {
    if (device == Choices.DeviceKind.CPU) {
      return Device.cpu();
    }
    if (Engine.getInstance().getGpuCount() < 1) {
      throw new IllegalArgumentException("--device gpu: the PyTorch engine sees no GPU (this "
          + "build bundles the CPU native library; put a CUDA pytorch-native jar on the class "
          + "path)");
    }
    return Device.gpu();
  }
}
