package org.shampoo4j.bench.jmh;

import java.util.concurrent.TimeUnit;
import ai.djl.ndarray.NDManager;
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

/**
 * Per representation and order: one Shampoo step of a square parameter ({@link
 * PreconditionerFixture#step}), one T1 refresh ({@code Preconditioner.accumulate}) and one T2
 * refresh ({@code refreshInverseRoot}), on the {@link JmhDevice} ({@code -p device=cpu|gpu}); each
 * measured call waits for the device. {@link ShampooStepBenchmark} measures the optimizer's full
 * {@code update} instead of this fixture. {@link BenchmarkRunner} reports each score as
 * a ratio to the {@code shampoo32} (FullMatrix) score of the same method and order measured in
 * the same run. Orders 2048 and 4096 take seconds per call on two cores: choose orders with
 * {@code -p order=256,1024}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xss4m"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class PreconditionerBenchmark {
  /** Representation id, see {@link RepresentationChoice}. */
  @Param({"shampoo32", "naive4", "eigen4-l2", "eigen4-dt", "chol4", "chol4-ef"})
  public String representation;

  /** Order n of the n×n statistics. */
  @Param({"256", "1024", "2048", "4096"})
  public int order;

  private PreconditionerFixture fixture;

  /** Creates the benchmark; JMH fills the parameters. */
  public PreconditionerBenchmark() {}

  /** Builds and warms the preconditioners. */
  @Setup(Level.Trial)
  public void setUp(JmhDevice device) {
    fixture = new PreconditionerFixture(
        RepresentationChoice.byId(representation).representation(), order, 42, device.device());
  }

  /** Frees the state. */
  @TearDown(Level.Trial)
  public void tearDown() {
    fixture.close();
  }

  /** One optimizer step's preconditioning and update. */
  @Benchmark
  public long step() {
    return fixture.step(1e-3f);
  }

  /** One T1 refresh of the left statistic. */
  @Benchmark
  public long accumulate() {
    fixture.left.accumulate(fixture.leftGram);
    return awaitLeft();
  }

  /** One T2 refresh of the left inverse root. */
  @Benchmark
  public long refreshInverseRoot() {
    fixture.left.refreshInverseRoot();
    return awaitLeft();
  }

  // Reading the state back waits for the device; a small fixed cost next to a refresh.
  private long awaitLeft() {
    try (NDManager scratch = fixture.manager.newSubManager()) {
      return JmhDevice.await(fixture.left.inverseRoot(scratch));
    }
  }
}
