package org.shampoo4j.bench.profile;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.shampoo4j.bench.jmh.JmhDevice;
import org.shampoo4j.bench.variant.RepresentationChoice;
import org.shampoo4j.shampoo.RefreshStacking;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.ShampooOptimizer;

/**
 * Measures what one {@link ShampooOptimizer#update} of a square {@code n×n} parameter costs on
 * the host, per representation: libtorch operator calls (about one JNI call each), kernels,
 * device-to-host reads ({@link HostReads}), wall time, and the host time spent outside libtorch
 * operators, for a steady-state step (roots
 * applied, no refresh), a T1 step (statistics updated) and a T2 step (statistics and roots), each
 * also divided by the parameter's block count. See {@link OpTrace} for what is counted.
 *
 * <p>Usage: {@code java -cp bench.jar:lib/* org.shampoo4j.bench.profile.StepProfiler [--device
 * cpu|gpu] [--orders 256,1024] [--representations shampoo32,naive4,eigen4-l2,chol4-ef]
 * [--repeats 5] [--max-order N] [--out DIR]}. {@code --max-order} (default: {@link
 * ShampooConfig}'s) sets the block size: the call counts depend on the block structure, not on
 * the sizes, so {@code --orders 256,1024 --max-order 300} shows the block structure of orders
 * 1024 and 4096 under the default 1200 (1 block; 16 blocks with a ragged edge) at a CPU's pace. Prints a table and writes {@code DIR/step-profile.csv} (DIR defaults
 * to {@code bench-out/profile}). The optimizer runs with T1 = 2 and T2 = 4 so that the three kinds
 * of step come around every four steps; everything else is {@link ShampooConfig}'s default.
 */
public final class StepProfiler {
  private static final int T1 = 2;
  private static final int T2 = 4;

  /** The three kinds of step, by their position in the four-step cycle. */
  enum StepKind {
    /** Roots applied, nothing refreshed (step ≡ 1 mod 4). */
    STEADY(1),
    /** Statistics updated (step ≡ 2 mod 4). */
    T1(2),
    /** Statistics and inverse roots updated (step ≡ 0 mod 4). */
    T2(4);

    final int offset;

    StepKind(int offset) {
      this.offset = offset;
    }
  }

  /**
   * One measured row.
   *
   * @param representation representation id
   * @param order n
   * @param blocks Shampoo blocks of the parameter
   * @param kind the kind of step
   * @param counts operator counts of one traced step
   * @param wallMillis median wall time of untraced steps, synchronised with the device
   */
  record Row(String representation, int order, int blocks, StepKind kind, OpTrace.Counts counts,
      double wallMillis) {}

  private StepProfiler() {}

  /** Entry point; exits 2 on bad options. */
  public static void main(String[] args) throws IOException {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    Device device = Device.cpu();
    List<Integer> orders = List.of(256, 1024);
    List<String> representations = List.of("shampoo32", "naive4", "eigen4-l2", "chol4-ef");
    int repeats = 5;
    int maxOrder = ShampooConfig.builder().build().maxOrder();
    Path out = Path.of("bench-out", "profile");
    RefreshStacking stacking = RefreshStacking.GPU_ONLY;
    try {
      for (int i = 0; i < args.length; i++) {
        String value = i + 1 < args.length ? args[i + 1] : null;
        switch (args[i]) {
          case "--device" -> device = JmhDevice.resolve(require(value, "--device"));
          case "--orders" -> orders = Arrays.stream(require(value, "--orders").split(","))
              .map(s -> Integer.parseInt(s.trim())).toList();
          case "--representations" ->
              representations = Arrays.asList(require(value, "--representations").split(","));
          case "--repeats" -> repeats = Integer.parseInt(require(value, "--repeats"));
          case "--max-order" -> maxOrder = Integer.parseInt(require(value, "--max-order"));
          case "--out" -> out = Path.of(require(value, "--out"));
          case "--refresh-stacking" ->
              stacking = RefreshStacking.valueOf(require(value, "--refresh-stacking"));
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
        i++;
      }
      if (repeats < 1 || maxOrder < 1 || orders.stream().anyMatch(n -> n < 2)) {
        throw new IllegalArgumentException(
            "--repeats and --max-order must be >= 1 and orders >= 2");
      }
      representations.forEach(RepresentationChoice::byId);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    List<Row> rows = new ArrayList<>();
    for (int order : orders) {
      for (String id : representations) {
        rows.addAll(profile(RepresentationChoice.byId(id), order, maxOrder, device, repeats,
            stacking, out));
      }
    }
    System.out.println("One ShampooOptimizer.update of an n x n parameter on " + device
        + ", refresh stacking " + stacking + " (calls: libtorch operator calls issued, ~JNI calls; kernels: computing operators;"
        + " outside: wall time outside operators under the profiler)");
    System.out.print(render(rows));
    Files.createDirectories(out);
    Path csv = out.resolve("step-profile.csv");
    Files.writeString(csv, csv(rows), StandardCharsets.UTF_8);
    System.out.println("wrote " + csv);
  }

  static List<Row> profile(RepresentationChoice choice, int order, int maxOrder, Device device,
      int repeats, RefreshStacking stacking, Path scratch) {
    ShampooConfig config = ShampooConfig.builder().maxOrder(maxOrder)
        .statisticsInterval(T1).rootInterval(T2).learningRate(1e-3f).build();
    List<Row> rows = new ArrayList<>();
    try (NDManager manager = NDManager.newBaseManager(device);
        ShampooOptimizer shampoo = ShampooOptimizer.builder().config(config)
            .representation(choice.representation()).refreshStacking(stacking).build()) {
      manager.getEngine().setRandomSeed(42);
      NDArray weight = manager.zeros(new Shape(order, order), DataType.FLOAT32);
      NDArray grad = manager.randomNormal(
          0f, 1f / (float) Math.sqrt(order), new Shape(order, order), DataType.FLOAT32, device);
      Runnable step = () -> shampoo.update("w", weight, grad);
      // One full cycle first, so that the roots exist and every path has run once.
      for (int i = 0; i < T2; i++) {
        step.run();
      }
      sync(weight);
      int blocks = shampoo.layout("w").map(l -> l.blockCount()).orElse(1);
      double[][] wall = new double[StepKind.values().length][repeats];
      OpTrace.Counts[] counts = new OpTrace.Counts[StepKind.values().length];
      for (int r = 0; r <= repeats; r++) {
        for (int position = 1; position <= T2; position++) {
          StepKind kind = kindAt(position);
          if (r == repeats) {
            // The last cycle is traced: one step of each kind.
            if (kind != null) {
              // The update alone: on a GPU the trace then shows the host's side of the step.
              counts[kind.ordinal()] = OpTrace.trace(step, scratch);
              sync(weight);
            } else {
              step.run();
            }
            continue;
          }
          long start = System.nanoTime();
          step.run();
          sync(weight);
          if (kind != null) {
            wall[kind.ordinal()][r] = (System.nanoTime() - start) / 1e6;
          }
        }
      }
      for (StepKind kind : StepKind.values()) {
        rows.add(new Row(choice.id(), order, blocks, kind, counts[kind.ordinal()],
            median(wall[kind.ordinal()])));
      }
    }
    return rows;
  }

  private static StepKind kindAt(int position) {
    for (StepKind k : StepKind.values()) {
      if (k.offset == position) {
        return k;
      }
    }
    return null;
  }

  /** Waits for the device's queue by reading one element to the host. */
  private static void sync(NDArray weight) {
    weight.get(0, 0).toType(DataType.FLOAT32, false).getFloat();
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  static String render(List<Row> rows) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "%-10s %6s %6s %-7s %7s %8s %6s %11s %10s %12s %13s  %s%n", "repr", "order", "blocks",
        "step", "calls", "kernels", "reads", "calls/blk", "wall ms", "outside ms",
        "outside/call", "most frequent calls"));
    for (Row r : rows) {
      OpTrace.Counts c = r.counts();
      double outside = Math.max(0, c.wallMicros() - c.opMicros()) / 1e3;
      StringBuilder top = new StringBuilder();
      for (Map.Entry<String, Integer> e : c.topCalls().subList(0, Math.min(5, c.topCalls().size()))) {
        top.append(e.getKey().replace("aten::", "")).append('×').append(e.getValue()).append(' ');
      }
      sb.append(String.format(Locale.ROOT,
          "%-10s %6d %6d %-7s %7d %8d %6d %11.1f %10.3f %12.3f %10.1f us  %s%n",
          r.representation(), r.order(), r.blocks(), r.kind().name().toLowerCase(Locale.ROOT),
          c.calls(), c.kernels(), c.hostReads(),
          (double) c.calls() / r.blocks(), r.wallMillis(), outside,
          outside * 1e3 / Math.max(1, c.calls()), top.toString().trim()));
    }
    return sb.toString();
  }

  private static String csv(List<Row> rows) {
    StringBuilder sb = new StringBuilder(
        "representation,order,blocks,step,calls,kernels,host_reads,op_ms,traced_wall_ms,"
            + "wall_ms\n");
    for (Row r : rows) {
      OpTrace.Counts c = r.counts();
      sb.append(String.format(Locale.ROOT, "%s,%d,%d,%s,%d,%d,%d,%.4f,%.4f,%.4f%n",
          r.representation(), r.order(), r.blocks(), r.kind().name().toLowerCase(Locale.ROOT),
          c.calls(), c.kernels(), c.hostReads(), c.opMicros() / 1e3, c.wallMicros() / 1e3,
          r.wallMillis()));
    }
    return sb.toString();
  }

  private static String require(String value, String option) {
    if (value == null) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return value;
  }
}
