package org.shampoo4j.bench.jmh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the JMH benchmarks of this module and derives the tables JMH does not print: GB/s of fp32
 * input for quantization and packing (and as a percentage of the device-to-device copy rate of
 * {@link CopyBenchmark} measured in the same run), each representation's time as a ratio to
 * {@code shampoo32} (FullMatrix) of the same method and setting (device, order, step kind) in the
 * same run, the mean step of a run with the papers' intervals, and measured state memory against the
 * 4.5-bit theory.
 *
 * <p>Usage: {@code java -cp bench/target/bench.jar org.shampoo4j.bench.jmh.BenchmarkRunner
 * [--out DIR] [--memory-orders N,N] [--no-memory] [JMH options]}. Every other argument goes to JMH
 * (for example {@code -f 1 -wi 1 -i 2 -p order=256 PreconditionerBenchmark}). Writes {@code
 * DIR/jmh.json} (JMH's own JSON, unless {@code -rf}/{@code -rff} are given) and {@code
 * DIR/derived.json}; DIR defaults to {@code bench-out/jmh}.
 */
public final class BenchmarkRunner {
  private static final String PACKAGE = "org.shampoo4j.bench.jmh.";
  private static final String COPY = "CopyBenchmark.";
  private static final String SHAMPOO32 = "shampoo32";
  /** docs/algorithms.md §1's default intervals, for the amortised step cost. */
  private static final int PAPER_T1 = 100;
  private static final int PAPER_T2 = 500;

  private BenchmarkRunner() {}

  /** Entry point; exits 2 on bad options. */
  public static void main(String[] args) throws IOException, RunnerException {
    if (System.getProperty("ai.djl.offline") == null) {
      // The memory table runs DJL in this JVM; never let it reach the network.
      System.setProperty("ai.djl.offline", "true");
    }
    Path out = Path.of("bench-out", "jmh");
    List<Integer> memoryOrders = null;
    boolean memory = true;
    List<String> jmhArgs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--out" -> out = Path.of(value(args, ++i, "--out"));
        case "--memory-orders" -> memoryOrders = parseOrders(value(args, ++i, "--memory-orders"));
        case "--no-memory" -> memory = false;
        default -> jmhArgs.add(args[i]);
      }
    }
    CommandLineOptions cli;
    try {
      cli = new CommandLineOptions(jmhArgs.toArray(new String[0]));
    } catch (CommandLineOptionException e) {
      System.err.println("bad JMH options: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (cli.shouldHelp() || cli.shouldList() || cli.shouldListWithParams()
        || cli.shouldListProfilers() || cli.shouldListResultFormats()) {
      // Listing and help: let JMH's own main print them.
      org.openjdk.jmh.Main.main(jmhArgs.toArray(new String[0]));
      return;
    }
    Files.createDirectories(out);
    ChainedOptionsBuilder options = new OptionsBuilder().parent(cli);
    if (!cli.getResult().hasValue() && !cli.getResultFormat().hasValue()) {
      options.resultFormat(ResultFormatType.JSON).result(out.resolve("jmh.json").toString());
    }
    if (cli.getIncludes().isEmpty()) {
      options.include(PACKAGE);
    }
    Collection<RunResult> results = new Runner(options.build()).run();

    Map<String, Object> derived = new LinkedHashMap<>();
    List<Map<String, Object>> throughput = throughput(results);
    List<Map<String, Object>> ratios = ratios(results);
    derived.put("throughput", throughput);
    List<Map<String, Object>> amortised = amortised(results);
    derived.put("ratiosToShampoo32", ratios);
    derived.put("amortisedSteps", amortised);
    System.out.println();
    if (!throughput.isEmpty()) {
      System.out.println("Quantization and packing throughput (GB/s of fp32 input = 4 bytes x elements;"
          + " copy: bytes read + written = 8 x elements; % of the copy rate of the same device and"
          + " size in this run):");
      System.out.println(renderThroughput(throughput));
    }
    if (!ratios.isEmpty()) {
      System.out.println("Cost per call, ratio to shampoo32 (FullMatrix) of the same method and"
          + " setting in this run:");
      System.out.println(renderRatios(ratios, "millisPerOp"));
    }
    if (!amortised.isEmpty()) {
      System.out.printf(Locale.ROOT, "Mean step of a run with T1 = %d, T2 = %d (steady + (t1 -"
          + " steady)/T1 + (t2 - t1)/T2), ratio to shampoo32:%n", PAPER_T1, PAPER_T2);
      System.out.println(renderRatios(amortised, "millisPerStep"));
    }
    if (memory) {
      if (memoryOrders == null) {
        memoryOrders = ordersIn(results);
      }
      List<Map<String, Object>> mem = StateMemoryTable.measure(memoryOrders);
      derived.put("stateMemory", mem);
      System.out.println("State memory of one statistic + inverse root (2n^2 elements):");
      System.out.println(StateMemoryTable.render(mem));
    }
    Path json = out.resolve("derived.json");
    Files.writeString(json, Json.write(derived) + "\n", StandardCharsets.UTF_8);
    System.out.println("wrote " + json + (cli.getResult().hasValue() ? ""
        : " and " + out.resolve("jmh.json")));
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      System.err.println(option + " needs a value");
      System.exit(2);
    }
    return args[i];
  }

  private static List<Integer> parseOrders(String list) {
    List<Integer> orders = new ArrayList<>();
    for (String s : list.split(",")) {
      int n = Integer.parseInt(s.trim());
      if (n < 2) {
        throw new IllegalArgumentException("orders must be at least 2, got " + n);
      }
      orders.add(n);
    }
    return orders;
  }

  /** The orders the preconditioner benchmarks ran at, or 256 and 1024 if none ran. */
  private static List<Integer> ordersIn(Collection<RunResult> results) {
    TreeSet<Integer> orders = new TreeSet<>();
    for (RunResult r : results) {
      String order = r.getParams().getParam("order");
      if (order != null) {
        orders.add(Integer.parseInt(order));
      }
    }
    return orders.isEmpty() ? List.of(256, 1024) : new ArrayList<>(orders);
  }

  private static String shortName(RunResult r) {
    String b = r.getParams().getBenchmark();
    return b.startsWith(PACKAGE) ? b.substring(PACKAGE.length()) : b;
  }

  private static boolean isCopy(RunResult r) {
    return shortName(r).startsWith(COPY);
  }

  private static List<Map<String, Object>> throughput(Collection<RunResult> results) {
    List<Map<String, Object>> rows = new ArrayList<>();
    // The copy rate of each device and size, in GB/s, for the other rows' percentage.
    Map<String, Double> copyRates = new HashMap<>();
    for (RunResult r : results) {
      String elements = r.getParams().getParam("elements");
      if (elements == null) {
        continue;
      }
      double micros = toMicros(r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreUnit());
      long n = Long.parseLong(elements);
      String device = r.getParams().getParam("device");
      boolean copy = isCopy(r);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("benchmark", shortName(r));
      row.put("device", device == null ? "cpu" : device);
      row.put("elements", n);
      row.put("microsPerOp", micros);
      // A copy reads and writes every byte; the others are rated by their fp32 input.
      double gbPerSecond = (copy ? 8.0 : 4.0) * n / (micros * 1e-6) / 1e9;
      row.put("gbPerSecond", gbPerSecond);
      rows.add(row);
      if (copy) {
        copyRates.put(row.get("device") + "@" + n, gbPerSecond);
      }
    }
    for (Map<String, Object> row : rows) {
      Double copyRate = copyRates.get(row.get("device") + "@" + row.get("elements"));
      row.put("percentOfCopy", copyRate == null || row.get("benchmark").toString().startsWith(COPY)
          ? null : 100.0 * (Double) row.get("gbPerSecond") / copyRate);
    }
    return rows;
  }

  /**
   * Every score that has a {@code representation} parameter, with its ratio to the {@code
   * shampoo32} score of the same benchmark method and the same other parameters (device, order,
   * step kind, ...) in this run.
   */
  private static List<Map<String, Object>> ratios(Collection<RunResult> results) {
    Map<String, Double> reference = new HashMap<>();
    for (RunResult r : results) {
      if (SHAMPOO32.equals(r.getParams().getParam("representation"))) {
        reference.put(comparisonKey(r), millis(r));
      }
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (RunResult r : results) {
      String repr = r.getParams().getParam("representation");
      if (repr == null) {
        continue;
      }
      Double ref = reference.get(comparisonKey(r));
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("benchmark", shortName(r));
      row.put("setting", setting(r));
      row.put("representation", repr);
      row.put("millisPerOp", millis(r));
      row.put("ratioToShampoo32", ref == null ? null : millis(r) / ref);
      rows.add(row);
    }
    return rows;
  }

  /**
   * For benchmarks measured per kind of Shampoo step ({@code step} = steady, t1, t2), the mean
   * cost of a step in a run with the papers' intervals: {@code steady + (t1 − steady)/T1 + (t2 −
   * t1)/T2}, T1 = 100, T2 = 500, and its ratio to {@code shampoo32}'s.
   */
  private static List<Map<String, Object>> amortised(Collection<RunResult> results) {
    Map<String, Map<String, Double>> kinds = new LinkedHashMap<>();
    Map<String, RunResult> sample = new HashMap<>();
    for (RunResult r : results) {
      String kind = r.getParams().getParam("step");
      if (kind == null || r.getParams().getParam("representation") == null) {
        continue;
      }
      String key = keyWithout(r, "step");
      kinds.computeIfAbsent(key, k -> new HashMap<>()).put(kind, millis(r));
      sample.put(key, r);
    }
    Map<String, Double> cost = new LinkedHashMap<>();
    for (Map.Entry<String, Map<String, Double>> e : kinds.entrySet()) {
      Map<String, Double> k = e.getValue();
      if (k.containsKey("steady") && k.containsKey("t1") && k.containsKey("t2")) {
        double steady = k.get("steady");
        cost.put(e.getKey(), steady + (k.get("t1") - steady) / PAPER_T1
            + (k.get("t2") - k.get("t1")) / PAPER_T2);
      }
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Map.Entry<String, Double> e : cost.entrySet()) {
      RunResult r = sample.get(e.getKey());
      Double ref = cost.get(keyWithout(r, "step", "representation") + "|" + SHAMPOO32);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("benchmark", shortName(r));
      row.put("setting", settingWithout(r, "step"));
      row.put("representation", r.getParams().getParam("representation"));
      row.put("millisPerStep", e.getValue());
      row.put("ratioToShampoo32", ref == null ? null : e.getValue() / ref);
      rows.add(row);
    }
    return rows;
  }

  /** Benchmark method plus every parameter except the representation. */
  private static String comparisonKey(RunResult r) {
    return keyWithout(r, "representation");
  }

  // The representation, when kept, goes last so that a key with it replaced by shampoo32 can be
  // built by appending "|shampoo32" to the key without it.
  private static String keyWithout(RunResult r, String... excluded) {
    List<String> skip = List.of(excluded);
    StringBuilder key = new StringBuilder(shortName(r));
    for (String name : r.getParams().getParamsKeys()) {
      if (!skip.contains(name) && !name.equals("representation")) {
        key.append('|').append(name).append('=').append(r.getParams().getParam(name));
      }
    }
    if (!skip.contains("representation")) {
      key.append('|').append(r.getParams().getParam("representation"));
    }
    return key.toString();
  }

  /** The parameters other than the representation, for example {@code device=gpu order=1024}. */
  private static String setting(RunResult r) {
    return settingWithout(r);
  }

  private static String settingWithout(RunResult r, String... excluded) {
    List<String> skip = List.of(excluded);
    List<String> parts = new ArrayList<>();
    for (String name : r.getParams().getParamsKeys()) {
      if (!name.equals("representation") && !skip.contains(name)) {
        parts.add(name + "=" + r.getParams().getParam(name));
      }
    }
    return String.join(" ", parts);
  }

  private static double millis(RunResult r) {
    return toMicros(r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreUnit()) / 1000.0;
  }

  /** Converts an average-time score to microseconds per operation. */
  private static double toMicros(double score, String unit) {
    return switch (unit) {
      case "ns/op" -> score / 1000.0;
      case "us/op" -> score;
      case "ms/op" -> score * 1000.0;
      case "s/op" -> score * 1e6;
      default -> throw new IllegalStateException(
          "expected an average-time score (x/op), got unit " + unit + "; do not pass -bm");
    };
  }

  private static String renderThroughput(List<Map<String, Object>> rows) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "%-40s %-6s %10s %14s %10s %10s%n",
        "benchmark", "device", "elements", "us/op", "GB/s", "% of copy"));
    for (Map<String, Object> r : rows) {
      Object percent = r.get("percentOfCopy");
      sb.append(String.format(Locale.ROOT, "%-40s %-6s %10d %14.2f %10.3f %10s%n",
          r.get("benchmark"), r.get("device"), r.get("elements"), r.get("microsPerOp"),
          r.get("gbPerSecond"),
          percent == null ? "-" : String.format(Locale.ROOT, "%.1f", (Double) percent)));
    }
    return sb.toString();
  }

  private static String renderRatios(List<Map<String, Object>> rows, String unitKey) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-45s %-40s %-10s %12s %8s%n",
        "benchmark", "setting", "repr", "ms", "vs fp32"));
    for (Map<String, Object> r : rows) {
      Object ratio = r.get("ratioToShampoo32");
      sb.append(String.format(Locale.ROOT, "%-45s %-40s %-10s %12.3f %8s%n", r.get("benchmark"),
          r.get("setting"), r.get("representation"), (Double) r.get(unitKey),
          ratio == null ? "-" : String.format(Locale.ROOT, "%.2f", (Double) ratio)));
    }
    return sb.toString();
  }
}
