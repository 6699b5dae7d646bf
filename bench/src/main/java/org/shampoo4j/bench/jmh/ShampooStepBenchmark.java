package org.shampoo4j.bench.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
import org.shampoo4j.bench.variant.RepresentationChoice;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;

/**
 * The full {@link ShampooOptimizer#update} of one square {@code order×order} parameter, per
 * representation and device: gradient checks, blocking (max order 1200, so order 4096 is 16
 * blocks), statistics, roots, direction, grafting and the SGD-momentum update, as in training.
 *
 * <p>The optimizer runs with T1 = 8 and T2 = 16, and the parameter {@code step} picks which kind
 * of step is measured; the steps of other kinds needed to get there run unmeasured in a
 * per-invocation set-up:
 *
 * <ul>
 *   <li>{@code steady}: roots exist and nothing is refreshed, the step 99.8 % of a real run is;
 *   <li>{@code t1}: the statistics are updated (every T1 steps);
 *   <li>{@code t2}: statistics and inverse roots are updated (every T2 steps).
 * </ul>
 *
 * {@link BenchmarkRunner} prints each as a ratio to {@code shampoo32} of the same device, order and
 * kind, and the amortised cost of a run with the papers' T1 = 100 and T2 = 500: {@code steady + (t1 −
 * steady)/100 + (t2 − t1)/500}. Each measured call ends by waiting for the device.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xss4m", "-Xmx8g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class ShampooStepBenchmark {
  /** Statistics interval of the benchmarked optimizer. */
  static final int T1 = 8;
  /** Root interval of the benchmarked optimizer. */
  static final int T2 = 16;

  /** Representation id, see {@link RepresentationChoice}. */
  @Param({"shampoo32", "naive4", "eigen4-l2", "chol4-ef"})
  public String representation;

  /** Order n of the square n×n parameter. */
  @Param({"1024", "2048", "4096", "8192"})
  public int order;

  /** Which kind of step is measured: {@code steady}, {@code t1} or {@code t2}. */
  @Param({"steady", "t1", "t2"})
  public String step;

  private NDManager manager;
  private ShampooOptimizer shampoo;
  private NDArray weight;
  private NDArray gradient;
  private int steps;

  /** Creates the benchmark; JMH fills the parameters. */
  public ShampooStepBenchmark() {}

  /** Builds the optimizer and runs one full T2 cycle so that every block has its roots. */
  @Setup(Level.Trial)
  public void setUp(JmhDevice device) {
    checkStepKind(step);
    manager = device.newManager();
    manager.getEngine().setRandomSeed(42);
    shampoo = ShampooOptimizer.builder()
        .config(ShampooConfig.builder()
            .statisticsInterval(T1).rootInterval(T2).learningRate(1e-3f).build())
        .representation(RepresentationChoice.byId(representation).representation())
        .build();
    weight = manager.zeros(new Shape(order, order), DataType.FLOAT32);
    // Scaled so that the statistics have entries of order one.
    gradient = manager.randomNormal(0f, 1f / (float) Math.sqrt(order), new Shape(order, order),
        DataType.FLOAT32, device.device());
    while (steps < T2) {
      update();
    }
    JmhDevice.await(weight);
  }

  /** Runs, unmeasured, the steps before the next one of the measured kind. */
  @Setup(Level.Invocation)
  public void advance() {
    while (!isStepOfKind(step, steps + 1)) {
      update();
    }
    JmhDevice.await(weight);
  }

  /** Frees the optimizer's state and the arrays. */
  @TearDown(Level.Trial)
  public void tearDown() {
    shampoo.close();
    manager.close();
  }

  /** One optimizer step of the chosen kind, until its result is on the device. */
  @Benchmark
  public long update() {
    shampoo.update("w", weight, gradient);
    steps++;
    return JmhDevice.await(weight);
  }

  /** Rejects a {@code step} parameter other than {@code steady}, {@code t1} or {@code t2}. */
  static void checkStepKind(String step) {
    if (!step.equals("steady") && !step.equals("t1") && !step.equals("t2")) {
      throw new IllegalArgumentException("step must be steady, t1 or t2, got '" + step + "'");
    }
  }

  /** Whether optimizer step {@code stepNumber} (from 1) is of kind {@code step} at T1, T2. */
  static boolean isStepOfKind(String step, int stepNumber) {
    boolean stats = stepNumber % T1 == 0;
    boolean roots = stepNumber % T2 == 0;
    return switch (step) {
      case "steady" -> !stats && !roots;
      case "t1" -> stats && !roots;
      default -> roots;
    };
  }
}
