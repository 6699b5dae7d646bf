package org.shampoo4j.bench.jmh;

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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.variant.OptimizerRun;
import org.shampoo4j.bench.variant.RepresentationChoice;
import org.shampoo4j.bench.variant.VariantCatalogue;
import org.shampoo4j.bench.variant.VariantSettings;

/**
 * One training step (forward, loss, backward, {@code trainer.step()}) of the bench's MLP (two
 * hidden layers of {@code width} units; the input is a batch of 28×28 images, 10 classes, as for
 * Fashion-MNIST) with an optimizer variant of the bench CLI, on the chosen device. The input batch
 * is random and fixed: the cost of a step does not depend on the data.
 *
 * <p>Like {@link ShampooStepBenchmark}, Shampoo runs with T1 = 8 and T2 = 16 and {@code step}
 * picks the kind of step measured ({@code steady}, {@code t1}, {@code t2}), the others running
 * unmeasured. {@link BenchmarkRunner} prints
 * ratios to {@code shampoo32} and the amortised cost at T1 = 100, T2 = 500.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xss4m", "-Xmx8g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class TrainingStepBenchmark {
  private static final int SIDE = 28;
  private static final int CLASSES = 10;

  /** Shampoo variant id of the bench CLI, see {@link RepresentationChoice}. */
  @Param({"shampoo32", "naive4", "eigen4-l2", "chol4-ef"})
  public String representation;

  /** Hidden units of the MLP. */
  @Param({"2048"})
  public int width;

  /** Images per batch. */
  @Param({"128"})
  public int batch;

  /** Which kind of step is measured: {@code steady}, {@code t1} or {@code t2}. */
  @Param({"steady", "t1", "t2"})
  public String step;

  private NDManager manager;
  private OptimizerRun run;
  private Model model;
  private Trainer trainer;
  private NDArray images;
  private NDArray labels;
  private NDArray probe;
  private int steps;

  /** Creates the benchmark; JMH fills the parameters. */
  public TrainingStepBenchmark() {}

  /** Builds model, optimizer and batch, and runs one full T2 cycle. */
  @Setup(Level.Trial)
  public void setUp(JmhDevice device) {
    ShampooStepBenchmark.checkStepKind(step);
    VariantSettings settings = VariantSettings.builder()
        .statisticInterval(ShampooStepBenchmark.T1).rootInterval(ShampooStepBenchmark.T2).build();
    RepresentationChoice.byId(representation);
    run = VariantCatalogue.standard().select(List.of(representation)).get(0).create(settings);
    model = Model.newInstance("training-step", device.device());
    model.setBlock(ModelKind.MLP.build(width, CLASSES));
    DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
        .optOptimizer(run.optimizer())
        .optDevices(new ai.djl.Device[] {device.device()})
        .optInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
    trainer = model.newTrainer(config);
    manager = trainer.getManager().newSubManager();
    manager.getEngine().setRandomSeed(42);
    trainer.initialize(new Shape(batch, 1, SIDE, SIDE));
    images = manager.randomUniform(0f, 1f, new Shape(batch, 1, SIDE, SIDE), DataType.FLOAT32);
    labels = manager.randomInteger(0, CLASSES, new Shape(batch), DataType.INT32)
        .toType(DataType.FLOAT32, false);
    probe = model.getBlock().getParameters().valueAt(0).getArray();
    while (steps < ShampooStepBenchmark.T2) {
      trainStep();
    }
  }

  /** Runs, unmeasured, the steps before the next one of the measured kind. */
  @Setup(Level.Invocation)
  public void advance() {
    while (!ShampooStepBenchmark.isStepOfKind(step, steps + 1)) {
      trainStep();
    }
  }

  /** Frees trainer, model and optimizer state. */
  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
    trainer.close();
    model.close();
    run.close();
  }

  /** One training step of the chosen kind, until its updates are on the device. */
  @Benchmark
  public long trainStep() {
    try (NDManager scratch = trainer.getManager().newSubManager()) {
      try (GradientCollector gc = trainer.newGradientCollector()) {
        NDArray prediction = trainer.forward(new NDList(images)).singletonOrThrow();
        NDArray loss = trainer.getLoss().evaluate(new NDList(labels), new NDList(prediction));
        gc.backward(loss);
        prediction.attach(scratch);
        loss.attach(scratch);
      }
      trainer.step();
    }
    steps++;
    return JmhDevice.await(probe);
  }
}
