package org.shampoo4j.bench.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.shampoo4j.bench.data.DataDirectory;
import org.shampoo4j.bench.data.DigitsDataset;
import org.shampoo4j.bench.data.SyntheticDataset;
import org.shampoo4j.bench.data.TrainTestSplit;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.report.BestEffortCharts;
import org.shampoo4j.bench.report.ChartWriter;
import org.shampoo4j.bench.report.CsvReport;
import org.shampoo4j.bench.report.ResultTable;
import org.shampoo4j.bench.train.ModelTrainer;
import org.shampoo4j.bench.train.RunResult;
import org.shampoo4j.bench.train.TrainingSettings;
import org.shampoo4j.bench.variant.BaseKind;
import org.shampoo4j.bench.variant.OptimizerVariant;
import org.shampoo4j.bench.variant.VariantCatalogue;
import org.shampoo4j.bench.variant.VariantSettings;
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
          + "wall time and optimizer-state memory.",
      "",
      "Without options it trains the MLP (width " + BenchCommand.DEFAULT_WIDTH + ") on the "
          + "built-in UCI digits (1,797 8x8 images, 80/20 split) for "
          + BenchCommand.DEFAULT_EPOCHS + " epochs with every variant, batch 64, T1 = 10 and T2 = 50 (shorter than SPEC's 100/500, so that the short run "
          + "refreshes its preconditioners), on the CPU with one PyTorch thread; that takes about "
          + "one minute of CPU time (under three minutes on two shared cores). Every number "
          + "printed comes from the run.",
      ""
    },
    footer = {
      "",
      "Outputs in --out: summary.csv (one row per variant), curves.csv (per epoch), loss.png, "
          + "accuracy.png, memory.png.",
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

  @Option(names = "--model", paramLabel = "mlp|resnet",
      description = "Network: mlp (2 hidden ReLU layers) or resnet (tiny residual CNN with "
          + "batch norm). Default: ${DEFAULT-VALUE}.")
  String model = "mlp";

  @Option(names = "--width", paramLabel = "N",
      description = "MLP hidden units; ResNet: 4x the stem's channels. Default: ${DEFAULT-VALUE}.")
  int width = DEFAULT_WIDTH;

  @Option(names = "--dataset", paramLabel = "digits|synthetic",
      description = "Built-in data when --data is absent: digits (UCI optdigits, CC BY 4.0) or "
          + "synthetic (seeded teacher-network task, 2000 train / 500 test). "
          + "Default: ${DEFAULT-VALUE}.")
  String dataset = "digits";

  @Option(names = "--data", paramLabel = "DIR",
      description = "Local MNIST / Fashion-MNIST (IDX files, gz or not) or CIFAR-10 (binary "
          + "batches) directory; nothing is downloaded.")
  Path data;

  @Option(names = "--max-train", paramLabel = "N",
      description = "Use at most N training images. Default: all.")
  int maxTrain = Integer.MAX_VALUE;

  @Option(names = "--max-test", paramLabel = "N",
      description = "Use at most N test images. Default: all.")
  int maxTest = Integer.MAX_VALUE;

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs. Default: ${DEFAULT-VALUE}.")
  int epochs = DEFAULT_EPOCHS;

  @Option(names = {"-b", "--batch-size"}, paramLabel = "N",
      description = "Batch size. Default: ${DEFAULT-VALUE}.")
  int batchSize = 64;

  @Option(names = "--seed", paramLabel = "N",
      description = "Seed of data split, initial weights and batch order. Default: ${DEFAULT-VALUE}.")
  long seed = 42;

  @Option(names = "--device", paramLabel = "cpu|gpu",
      description = "Where to train. gpu needs a CUDA build of the PyTorch native library on "
          + "the class path. Default: ${DEFAULT-VALUE}.")
  String device = "cpu";

  @Option(names = "--threads", paramLabel = "N",
      description = "PyTorch intra-op and inter-op threads, set before the engine starts. The "
          + "bench's tensors are small, so more threads mostly add synchronisation (and stall "
          + "badly on a busy machine). Default: ${DEFAULT-VALUE}.")
  int threads = 1;

  @Option(names = "--lr-sgd", paramLabel = "LR",
      description = "Learning rate of SGD-momentum (and of Shampoo on SGD). Default: ${DEFAULT-VALUE}.")
  float lrSgd = 0.05f;

  @Option(names = "--lr-adamw", paramLabel = "LR",
      description = "Learning rate of AdamW and 4-bit AdamW (and of Shampoo on AdamW). "
          + "Default: ${DEFAULT-VALUE}.")
  float lrAdamw = 0.002f;

  @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum. Default: ${DEFAULT-VALUE}.")
  float momentum = 0.9f;

  @Option(names = "--weight-decay", paramLabel = "WD",
      description = "Weight decay of every base optimizer. Default: ${DEFAULT-VALUE}.")
  float weightDecay = 0f;

  @Option(names = "--shampoo-base", paramLabel = "sgd|adamw",
      description = "Base optimizer Shampoo grafts onto. Default: ${DEFAULT-VALUE}.")
  String shampooBase = "sgd";

  @Option(names = "--t1", paramLabel = "N",
      description = "Shampoo statistic update interval T1 (steps). Default: ${DEFAULT-VALUE}.")
  int t1 = 10;

  @Option(names = "--t2", paramLabel = "N",
      description = "Shampoo inverse-root interval T2 (steps). Default: ${DEFAULT-VALUE}.")
  int t2 = 50;

  @Option(names = "--max-order", paramLabel = "N",
      description = "Largest preconditioner order before blocking. Default: ${DEFAULT-VALUE}.")
  int maxOrder = 1200;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Output directory for CSV and PNG files. Default: ${DEFAULT-VALUE}.")
  Path out = Path.of("bench-out");

  @Option(names = "--no-progress", description = "Do not draw progress bars.")
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
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    VariantCatalogue catalogue = VariantCatalogue.standard();
    if (listVariants) {
      for (OptimizerVariant v : catalogue.all()) {
        out.printf(Locale.ROOT, "%-10s %s%n", v.id(), v.description());
      }
      out.flush();
      return 0;
    }
    if (threads < 1) {
      throw new ParameterException(spec.commandLine(), "--threads must be positive, got " + threads);
    }
    // DJL reads these once, when the PyTorch engine starts; an explicit -D setting wins.
    setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(threads));
    setIfAbsent("ai.djl.pytorch.num_interop_threads", Integer.toString(threads));
    List<OptimizerVariant> selected;
    ModelKind modelKind;
    VariantSettings variantSettings;
    TrainingSettings trainingSettings;
    try {
      selected = variants.isEmpty() ? catalogue.all() : catalogue.select(variants);
      modelKind = parseEnum(ModelKind.class, model, "--model");
      variantSettings = VariantSettings.builder()
          .sgdLearningRate(lrSgd).adamwLearningRate(lrAdamw).momentum(momentum)
          .weightDecay(weightDecay).shampooBase(parseEnum(BaseKind.class, shampooBase,
              "--shampoo-base"))
          .statisticInterval(t1).rootInterval(t2).maxOrder(maxOrder)
          .build();
      trainingSettings = TrainingSettings.builder()
          .epochs(epochs).batchSize(batchSize).seed(seed).width(width)
          .device(device()).progress(!noProgress)
          .build();
      if (maxTrain < 1 || maxTest < 1) {
        throw new IllegalArgumentException("--max-train and --max-test must be positive");
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    TrainTestSplit split;
    try {
      split = loadData().limit(maxTrain, maxTest);
    } catch (IOException | IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "cannot load data: " + e.getMessage(), e);
    }

    ModelTrainer trainer = new ModelTrainer(split, modelKind, trainingSettings);
    out.printf(Locale.ROOT, "data: %s%nmodel: %s width %d, %d epochs x %d steps, batch %d, "
            + "seed %d, device %s%nShampoo: T1 %d, T2 %d, base %s, lr %s%n%n",
        split.describe(), modelKind.cliName(), width, epochs, trainer.stepsPerEpoch(), batchSize,
        seed, trainingSettings.device(), t1, t2, variantSettings.shampooBase().cliName(),
        variantSettings.shampooLearningRate());
    out.flush();
    List<RunResult> results = new ArrayList<>();
    for (OptimizerVariant v : selected) {
      RunResult r = trainer.train(v, variantSettings);
      results.add(r);
      r.failure().ifPresent(f -> spec.commandLine().getErr().println(v.id() + " failed: " + f));
    }
    // Numbers first, each flushed: a chart that fails afterwards must not take them with it.
    out.println();
    out.print(new ResultTable(results).render());
    out.flush();
    out.println();
    out.println("wrote " + CsvReport.write(this.out, results));
    out.flush();
    String title = modelKind.cliName() + " on " + split.train().name();
    List<Path> charts = new BestEffortCharts(chartWriter, spec.commandLine().getErr())
        .write(this.out, title, results);
    if (!charts.isEmpty()) {
      out.println("wrote " + charts);
    }
    out.flush();
    return results.stream().anyMatch(r -> r.failure().isPresent()) ? 1 : 0;
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private TrainTestSplit loadData() throws IOException {
    if (data != null) {
      return DataDirectory.load(data, maxTrain, maxTest);
    }
    return switch (dataset.toLowerCase(Locale.ROOT)) {
      case "digits" -> DigitsDataset.split(0.2, seed);
      case "synthetic" -> SyntheticDataset.generate(2000, 500, seed);
      default -> throw new IllegalArgumentException(
          "--dataset must be digits or synthetic, got '" + dataset + "'");
    };
  }

  private Device device() {
    switch (device.toLowerCase(Locale.ROOT)) {
      case "cpu":
        return Device.cpu();
      case "gpu":
        int gpus = Engine.getInstance().getGpuCount();
        if (gpus < 1) {
          throw new IllegalArgumentException("--device gpu: the PyTorch engine sees no GPU (this "
              + "build bundles the CPU native library; put a CUDA pytorch-native jar on the class "
              + "path)");
        }
        return Device.gpu();
      default:
        throw new IllegalArgumentException("--device must be cpu or gpu, got '" + device + "'");
    }
  }

  private static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String option) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      List<String> names = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        names.add(c.name().toLowerCase(Locale.ROOT));
      }
      throw new IllegalArgumentException(
          option + " must be one of " + String.join("|", names) + ", got '" + value + "'", e);
    }
  }
}
