package org.shampoo4j.bench.profile;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.shampoo4j.bench.jmh.JmhDevice;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.variant.OptimizerRun;
import org.shampoo4j.bench.variant.VariantCatalogue;
import org.shampoo4j.bench.variant.VariantSettings;
import org.shampoo4j.shampoo.base.NonFinitePolicy;

/**
 * Device-to-host reads ({@link HostReads}) per training step, per non-finite policy: for each
 * (model, variant, policy) it trains a few steps on a fixed random batch (28×28 single-channel
 * images, 10 classes, as Fashion-MNIST) and prints the reads issued inside {@code trainer.step()}
 * (the optimizer) and inside the whole step (forward, loss, backward, step; the loss is not read)
 * for a steady step, a T1 step and a T2 step (Shampoo runs with T1 = 2, T2 = 4). Counts do not
 * depend on the device; on a GPU each read waits for the device's queue.
 *
 * <p>Usage: {@code java -cp bench.jar:lib/* org.shampoo4j.bench.profile.ReadsPerStep [--device
 * cpu|gpu] [--policies guarded,throw,skip,deferred_throw,unchecked] [--runs
 * resnet18:sgd,mlp:shampoo32] [--batch 4]}. A run is {@code model:variant} with a model of
 * {@code --model} and a variant of {@code --variants} of the bench CLI, at the model's default
 * width.
 */
public final class ReadsPerStep {
  private static final int T1 = 2;
  private static final int T2 = 4;
  /** Steps 5 (steady), 6 (T1) and 8 (T2) of the second four-step cycle. */
  private static final int[] MEASURED = {5, 6, 8};
  private static final String[] KINDS = {"steady", "t1", "t2"};
  private static final int SIDE = 28;
  private static final int CLASSES = 10;

  /**
   * The reads of one measured step.
   *
   * @param model model id
   * @param variant variant id
   * @param parameters the model's trained parameters (those the optimizer updates)
   * @param policy the non-finite policy
   * @param kind steady, t1 or t2
   * @param optimizerReads reads inside {@code trainer.step()}
   * @param stepReads reads of the whole training step
   */
  record Row(String model, String variant, int parameters, NonFinitePolicy policy, String kind,
      long optimizerReads, long stepReads) {}

  private ReadsPerStep() {}

  /** Entry point; exits 2 on bad options. */
  public static void main(String[] args) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    Device device = Device.cpu();
    List<NonFinitePolicy> policies = List.of(NonFinitePolicy.GUARDED, NonFinitePolicy.THROW,
        NonFinitePolicy.DEFERRED_THROW, NonFinitePolicy.SKIP, NonFinitePolicy.UNCHECKED);
    List<String> runs = List.of("resnet18:sgd", "mlp:shampoo32");
    int batch = 4;
    try {
      for (int i = 0; i < args.length; i++) {
        String value = i + 1 < args.length ? args[i + 1] : null;
        if (value == null) {
          throw new IllegalArgumentException(args[i] + " needs a value");
        }
        switch (args[i]) {
          case "--device" -> device = JmhDevice.resolve(value);
          case "--policies" -> policies = Arrays.stream(value.split(","))
              .map(p -> NonFinitePolicy.valueOf(
                  p.trim().replace('-', '_').toUpperCase(Locale.ROOT)))
              .toList();
          case "--runs" -> runs = Arrays.asList(value.split(","));
          case "--batch" -> batch = Integer.parseInt(value);
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
        i++;
      }
      if (batch < 1) {
        throw new IllegalArgumentException("--batch must be >= 1");
      }
      for (String run : runs) {
        parseRun(run);
      }
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    HostReads.install();
    List<Row> rows = new ArrayList<>();
    for (String run : runs) {
      String[] mv = parseRun(run);
      for (NonFinitePolicy policy : policies) {
        rows.addAll(measure(ModelKind.valueOf(mv[0].toUpperCase(Locale.ROOT)), mv[1], policy,
            batch, device));
      }
    }
    System.out.println("Device-to-host reads per training step on " + device
        + " (optimizer: inside trainer.step(); step: forward, loss, backward and step)");
    System.out.print(render(rows));
  }

  private static String[] parseRun(String run) {
    String[] mv = run.trim().split(":");
    if (mv.length != 2) {
      throw new IllegalArgumentException("a run is model:variant, got '" + run + "'");
    }
    ModelKind.valueOf(mv[0].toUpperCase(Locale.ROOT));
    VariantCatalogue.standard().select(List.of(mv[1]));
    return mv;
  }

  /** Trains {@code MEASURED}'s last step count and returns the measured steps' reads. */
  static List<Row> measure(ModelKind kind, String variant, NonFinitePolicy policy, int batch,
      Device device) {
    HostReads.install();
    VariantSettings settings = VariantSettings.builder().statisticInterval(T1).rootInterval(T2)
        .nonFinitePolicy(policy).build();
    List<Row> rows = new ArrayList<>();
    try (OptimizerRun run = VariantCatalogue.standard().select(List.of(variant)).get(0)
            .create(settings);
        Model model = Model.newInstance("reads", device)) {
      model.setBlock(kind.build(kind.defaultWidth(), CLASSES));
      DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
          .optOptimizer(run.optimizer())
          .optDevices(new Device[] {device})
          .optInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
      try (Trainer trainer = model.newTrainer(config);
          NDManager manager = trainer.getManager().newSubManager()) {
        manager.getEngine().setRandomSeed(42);
        trainer.initialize(new Shape(batch, 1, SIDE, SIDE));
        run.prepare(model.getBlock());
        // Trained parameters only (batch norm's running statistics get no gradient).
        int parameters = (int) model.getBlock().getParameters().values().stream()
            .filter(Parameter::requiresGradient).count();
        NDArray images =
            manager.randomUniform(0f, 1f, new Shape(batch, 1, SIDE, SIDE), DataType.FLOAT32);
        NDArray labels = manager.randomInteger(0, CLASSES, new Shape(batch), DataType.INT32)
            .toType(DataType.FLOAT32, false);
        int last = MEASURED[MEASURED.length - 1];
        for (int step = 1; step <= last; step++) {
          long[] reads = trainStep(trainer, images, labels);
          int k = Arrays.binarySearch(MEASURED, step);
          if (k >= 0) {
            rows.add(new Row(kind.cliName(), variant, parameters, policy, KINDS[k], reads[0],
                reads[1]));
          }
        }
      }
    }
    return rows;
  }

  /** One training step; returns {reads inside trainer.step(), reads of the whole step}. */
  private static long[] trainStep(Trainer trainer, NDArray images, NDArray labels) {
    long start = HostReads.count();
    long optimizer;
    try (NDManager scratch = trainer.getManager().newSubManager()) {
      try (GradientCollector gc = trainer.newGradientCollector()) {
        NDArray prediction = trainer.forward(new NDList(images)).singletonOrThrow();
        NDArray loss = trainer.getLoss().evaluate(new NDList(labels), new NDList(prediction));
        gc.backward(loss);
        prediction.attach(scratch);
        loss.attach(scratch);
      }
      long before = HostReads.count();
      trainer.step();
      optimizer = HostReads.count() - before;
    }
    return new long[] {optimizer, HostReads.count() - start};
  }

  static String render(List<Row> rows) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "%-9s %-10s %6s %-15s %-7s %10s %6s%n", "model", "variant", "params", "policy", "step",
        "optimizer", "step"));
    for (Row r : rows) {
      sb.append(String.format(Locale.ROOT, "%-9s %-10s %6d %-15s %-7s %10d %6d%n", r.model(),
          r.variant(), r.parameters(), r.policy().name().toLowerCase(Locale.ROOT), r.kind(),
          r.optimizerReads(), r.stepReads()));
    }
    return sb.toString();
  }
}
