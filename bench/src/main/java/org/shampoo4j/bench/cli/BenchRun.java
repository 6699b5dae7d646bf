package org.shampoo4j.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.shampoo4j.bench.data.TrainTestSplit;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.report.BestEffortCharts;
import org.shampoo4j.bench.report.ChartWriter;
import org.shampoo4j.bench.report.CsvReport;
import org.shampoo4j.bench.report.ResultTable;
import org.shampoo4j.bench.train.ModelTrainer;
import org.shampoo4j.bench.train.RunCheckpoints;
import org.shampoo4j.bench.train.RunResult;
import org.shampoo4j.bench.train.RunSetup;
import org.shampoo4j.bench.train.TrainingSettings;
import org.shampoo4j.bench.variant.OptimizerVariant;
import org.shampoo4j.bench.variant.VariantSettings;
import org.shampoo4j.shampoo.memory.DeviceMemory;
import org.shampoo4j.shampoo.state.Setting;

/**
 * One bench invocation once its options are checked and its data loaded: what to train, how, and
 * where the results go. {@link BenchCommand#call()} runs it as a list of steps: {@link
 * #printHeader}, {@link #train}, {@link #report}.
 *
 * @param variants the variants to train, in order
 * @param model the network
 * @param data the training and test images
 * @param training epochs, batch, seed, devices, augmentation
 * @param variantSettings learning rates, weight decay, schedule, Shampoo's settings
 * @param trainer the trainer, with its checkpoints
 * @param saveTo where each epoch's checkpoint goes, if anywhere
 * @param resumeFrom where runs resume from, if anywhere
 * @param earlier the runs of an earlier invocation kept by {@code --append}
 * @param out the output directory
 */
record BenchRun(List<OptimizerVariant> variants, ModelKind model, TrainTestSplit data,
    TrainingSettings training, VariantSettings variantSettings, ModelTrainer trainer,
    Optional<RunCheckpoints> saveTo, Optional<RunCheckpoints> resumeFrom,
    List<RunResult> earlier, Path out) {

  BenchRun {
    variants = List.copyOf(variants);
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(training, "training");
    Objects.requireNonNull(variantSettings, "variantSettings");
    Objects.requireNonNull(trainer, "trainer");
    Objects.requireNonNull(saveTo, "saveTo");
    Objects.requireNonNull(resumeFrom, "resumeFrom");
    earlier = List.copyOf(earlier);
    Objects.requireNonNull(out, "out");
  }

  /**
   * Everything that shapes a run except its length and devices, as stored in run checkpoints: a
   * checkpoint must have been written under the same setup to be resumed. Data and model, then
   * the checkpointed settings of {@link TrainingSettings#settings()} and {@link
   * VariantSettings#settings()}.
   */
  static RunSetup setup(TrainTestSplit data, ModelKind model, TrainingSettings training,
      VariantSettings v) {
    Map<String, String> entries = new LinkedHashMap<>();
    entries.put("data", data.describe());
    entries.put("model", model.cliName());
    entries.putAll(TrainingSettings.settings().values(training, Setting.Role.CHECKPOINTED));
    entries.putAll(VariantSettings.settings().values(v, Setting.Role.CHECKPOINTED));
    return RunSetup.of(entries);
  }

  /** The base optimizer's id, the denominator of the reports' ratios. */
  String baseId() {
    return variantSettings.shampooBase().cliName();
  }

  /** The data, model, Shampoo settings and notes on what the numbers mean. */
  void printHeader(PrintWriter w) {
    w.printf(Locale.ROOT, "data: %s%nmodel: %s width %d, %d epochs x %d steps, batch %d, "
            + "seed %d, devices %s, augmentation %s%nShampoo: T1 %d, T2 %d, base %s, lr %s, "
            + "schedule %s, %s, gradient %s; weight decay SGD %s, AdamW %s%n",
        data.describe(), model.cliName(), training.width(),
        training.epochs(), trainer.stepsPerEpoch(), training.batchSize(), training.seed(),
        training.devices(), training.augmentation(),
        variantSettings.statisticInterval(), variantSettings.rootInterval(), baseId(),
        variantSettings.shampooLearningRate(), variantSettings.schedule(),
        variantSettings.distribution().name(),
        variantSettings.distribution().reduction().name().toLowerCase(Locale.ROOT),
        variantSettings.sgdWeightDecay(), variantSettings.adamwWeightDecay());
    trainer.deviceMemoryUnavailable().ifPresent(r -> w.println("peak device memory: " + r));
    if (training.device().isGpu() && variants.size() > 1) {
      w.println("note: peak device memory is exact for the first variant of a process only "
          + "(PyTorch caches freed GPU memory); run one variant per process with --append for "
          + "every variant's own peak");
    }
    if (!earlier.isEmpty()) {
      w.println("appending to " + earlier.size() + " earlier run(s) in " + this.out);
    }
    w.println();
    w.flush();
  }

  /**
   * Trains every variant in turn, the journal writing the CSV files after each epoch and variant
   * (and from a shutdown hook if the JVM is stopped); a failed variant is reported on {@code err}
   * and the next one trains.
   */
  RunJournal train(PrintWriter w, PrintWriter err) {
    RunJournal journal = new RunJournal(out, baseId(), earlier, err);
    Thread hook = journal.shutdownHook();
    Runtime.getRuntime().addShutdownHook(hook);
    EpochLog log = new EpochLog(training.progress() ? null : w, variants.size(),
        training.epochs());
    try {
      for (OptimizerVariant v : variants) {
        RunResult r = trainer.train(v, variantSettings, (soFar, planned) -> {
          journal.epochFinished(soFar, planned);
          log.epochFinished(soFar, planned);
        });
        journal.variantFinished(r);
        log.variantFinished();
        r.failure().ifPresent(f -> err.println(v.id() + " failed: " + f));
        err.flush();
      }
    } finally {
      journal.complete();
      removeHook(hook);
    }
    return journal;
  }

  /**
   * Prints the table and writes the CSV files, then the charts (best effort, unless {@code
   * charts} is empty); returns the exit status: 1 if a variant of this invocation failed.
   */
  int report(RunJournal journal, PrintWriter w, PrintWriter err, Optional<ChartWriter> charts)
      throws IOException {
    List<RunResult> results = journal.results();
    // Numbers first, each flushed: a chart that fails afterwards must not take them with it.
    w.println();
    w.print(new ResultTable(results, baseId()).render());
    printDeviceState(w, results);
    w.flush();
    w.println();
    w.println("wrote " + CsvReport.write(out, results, baseId()));
    w.flush();
    String title = model.cliName() + " on " + data.train().name();
    List<Path> written = charts.isEmpty() ? List.of()
        : new BestEffortCharts(charts.get(), err).write(out, title, results);
    if (!written.isEmpty()) {
      w.println("wrote " + written);
    }
    w.flush();
    return journal.finished().stream().anyMatch(r -> r.failure().isPresent()) ? 1 : 0;
  }

  /** Each multi-device run's optimizer state per device (what sharding divides). */
  private static void printDeviceState(PrintWriter w, List<RunResult> results) {
    for (RunResult r : results) {
      if (r.deviceState().size() < 2) {
        continue;
      }
      w.printf(Locale.ROOT, "%s optimizer state per device:", r.variant());
      for (DeviceMemory d : r.deviceState()) {
        w.printf(Locale.ROOT, "  %s %.1f KiB (%d units)", d.device(),
            d.total().total() / 1024.0, d.units());
      }
      w.println();
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down; the hook has run or is running.
    }
  }
}
