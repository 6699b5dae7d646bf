package org.shampoo4j.bench.report;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.shampoo4j.bench.data.MalformedDataException;
import org.shampoo4j.bench.train.EpochRecord;
import org.shampoo4j.bench.train.RunResult;
import org.shampoo4j.quant.MemoryFootprint;

/**
 * Writes a bench run as two CSV files: {@code summary.csv} (one row per variant: final numbers,
 * state bytes, peak device bytes and the ratios of {@link Comparison}) and {@code curves.csv} (one
 * row per variant and epoch); and reads them back, so that runs made in separate processes (one
 * variant per process, for clean peak device memory) add up to one table.
 */
public final class CsvReport {
  /** File name of the per-variant summary. */
  public static final String SUMMARY = "summary.csv";
  /** File name of the per-epoch curves. */
  public static final String CURVES = "curves.csv";
  /** Optimizer state per device of multi-device runs (written only when there are any). */
  public static final String DEVICES = "devices.csv";
  /** Per preconditioner block of each Shampoo run: its rejected updates. */
  public static final String HEALTH = "health.csv";
  static final String HEALTH_HEADER = "variant,parameter,block,rejected_statistics,"
      + "rejected_roots,consecutive_failures,last_failure";
  static final String DEVICES_HEADER =
      "variant,device,units,preconditioner_bytes,base_bytes,state_bytes,share_of_state";

  private static final String SUMMARY_HEADER = "variant,description,epochs,steps,"
      + "final_train_loss,final_test_loss,final_test_accuracy,train_seconds,seconds_per_epoch,"
      + "ms_per_step,state_bytes,code_bytes,scale_bytes,fp32_bytes,peak_device_bytes,"
      + "accuracy_points_vs_shampoo32,state_vs_shampoo32,state_vs_base,peak_vs_shampoo32,"
      + "peak_vs_base,time_vs_shampoo32,time_vs_base,base,status";
  private static final String CURVES_HEADER =
      "variant,epoch,train_loss,test_loss,test_accuracy,elapsed_seconds";

  private CsvReport() {}

  /** Writes both files with SGD-momentum as the base optimizer of the ratios. */
  public static List<Path> write(Path dir, List<RunResult> results) throws IOException {
    return write(dir, results, "sgd");
  }

  /**
   * Writes both files into {@code dir} (created if needed), replacing earlier ones.
   *
   * @param baseId the base optimizer's variant id for the {@code *_vs_base} ratios
   * @return the paths written
   */
  public static List<Path> write(Path dir, List<RunResult> results, String baseId)
      throws IOException {
    Files.createDirectories(dir);
    Comparison cmp = new Comparison(results, baseId);
    Path summary = dir.resolve(SUMMARY);
    try (Writer w = Files.newBufferedWriter(summary, StandardCharsets.UTF_8)) {
      w.write(SUMMARY_HEADER + "\n");
      for (RunResult r : results) {
        w.write(String.join(",",
            quote(r.variant()), quote(r.description()),
            Integer.toString(r.epochs().size()), Long.toString(r.steps()),
            num(r.finalTrainLoss()), num(r.finalTestLoss()), num(r.finalTestAccuracy()),
            num(r.trainSeconds()), num(r.secondsPerEpoch()), num(r.millisPerStep()),
            Long.toString(r.stateMemory().total()), Long.toString(r.stateMemory().codeBytes()),
            Long.toString(r.stateMemory().scaleBytes()), Long.toString(r.stateMemory().fp32Bytes()),
            r.peakDeviceBytes().isPresent() ? Long.toString(r.peakDeviceBytes().getAsLong()) : "",
            num(cmp.accuracyPointsVsShampoo32(r)), num(cmp.stateVsShampoo32(r)),
            num(cmp.stateVsBase(r)), num(cmp.peakVsShampoo32(r)), num(cmp.peakVsBase(r)),
            num(cmp.timeVsShampoo32(r)), num(cmp.timeVsBase(r)), quote(baseId),
            quote(r.status())));
        w.write('\n');
      }
    }
    Path curves = dir.resolve(CURVES);
    try (Writer w = Files.newBufferedWriter(curves, StandardCharsets.UTF_8)) {
      w.write(CURVES_HEADER + "\n");
      for (RunResult r : results) {
        for (EpochRecord e : r.epochs()) {
          w.write(String.join(",", quote(r.variant()), Integer.toString(e.epoch()),
              num(e.trainLoss()), num(e.testLoss()), num(e.testAccuracy()),
              num(e.elapsedSeconds())));
          w.write('\n');
        }
      }
    }
    List<Path> written = new ArrayList<>(List.of(summary, curves));
    if (results.stream().anyMatch(r -> !r.blockHealth().isEmpty())) {
      Path health = dir.resolve(HEALTH);
      try (Writer w = Files.newBufferedWriter(health, StandardCharsets.UTF_8)) {
        w.write(HEALTH_HEADER + "\n");
        for (RunResult r : results) {
          for (org.shampoo4j.shampoo.health.HealthReport.Block b : r.blockHealth()) {
            w.write(String.join(",", quote(r.variant()), quote(b.parameterId()),
                Integer.toString(b.block()), Long.toString(b.rejectedStatistics()),
                Long.toString(b.rejectedRoots()), Integer.toString(b.consecutiveFailures()),
                quote(b.lastFailure() == null ? "" : b.lastFailure())));
            w.write('\n');
          }
        }
      }
      written.add(health);
    }
    if (results.stream().noneMatch(r -> r.deviceState().size() > 1)) {
      return List.copyOf(written);
    }
    Path devices = dir.resolve(DEVICES);
    try (Writer w = Files.newBufferedWriter(devices, StandardCharsets.UTF_8)) {
      w.write(DEVICES_HEADER + "\n");
      for (RunResult r : results) {
        for (org.shampoo4j.shampoo.memory.DeviceMemory d : r.deviceState()) {
          w.write(String.join(",", quote(r.variant()), quote(d.device()),
              Integer.toString(d.units()), Long.toString(d.preconditioners().total()),
              Long.toString(d.baseOptimizer().total()), Long.toString(d.total().total()),
              num((double) d.total().total() / Math.max(1, r.stateMemory().total()))));
          w.write('\n');
        }
      }
    }
    written.add(devices);
    return List.copyOf(written);
  }

  /**
   * Reads the runs back from the two files in {@code dir}; empty if there is no {@code
   * summary.csv}. Numbers come back with the 6 significant digits they were written with; the
   * ratio columns are derived and are not read.
   *
   * @throws MalformedDataException naming the file if a row cannot be read
   */
  public static List<RunResult> read(Path dir) throws IOException {
    Path summary = dir.resolve(SUMMARY);
    if (!Files.exists(summary)) {
      return List.of();
    }
    Map<String, List<EpochRecord>> curves = new HashMap<>();
    Path curvesFile = dir.resolve(CURVES);
    if (Files.exists(curvesFile)) {
      for (Map<String, String> row : rows(curvesFile)) {
        curves.computeIfAbsent(row.get("variant"), k -> new ArrayList<>()).add(new EpochRecord(
            Integer.parseInt(row.get("epoch")), parse(row.get("train_loss")),
            parse(row.get("test_loss")), parse(row.get("test_accuracy")),
            parse(row.get("elapsed_seconds"))));
      }
    }
    List<RunResult> out = new ArrayList<>();
    try {
      for (Map<String, String> row : rows(summary)) {
        String variant = row.get("variant");
        String status = row.get("status");
        Optional<String> failure = status.equals("ok") ? Optional.empty()
            : Optional.of(status.startsWith("failed: ") ? status.substring(8) : status);
        String peak = row.getOrDefault("peak_device_bytes", "");
        out.add(new RunResult(variant, row.get("description"),
            curves.getOrDefault(variant, List.of()), Long.parseLong(row.get("steps")),
            parse(row.get("train_seconds")),
            new MemoryFootprint(Long.parseLong(row.get("code_bytes")),
                Long.parseLong(row.get("scale_bytes")), Long.parseLong(row.get("fp32_bytes"))),
            peak.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(peak)),
            failure));
      }
    } catch (RuntimeException e) {
      throw new MalformedDataException(summary, "cannot read a row back (" + e + ")");
    }
    return out;
  }

  /**
   * {@code earlier} with each run of the same variant replaced by its run in {@code later}, and
   * the other runs of {@code later} appended, in order.
   */
  public static List<RunResult> merge(List<RunResult> earlier, List<RunResult> later) {
    Map<String, RunResult> byId = new LinkedHashMap<>();
    for (RunResult r : earlier) {
      byId.put(r.variant(), r);
    }
    for (RunResult r : later) {
      byId.put(r.variant(), r);
    }
    return List.copyOf(byId.values());
  }

  private static List<Map<String, String>> rows(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (lines.isEmpty()) {
      throw new MalformedDataException(file, "empty; expected a header line");
    }
    List<String> header = fields(lines.get(0));
    List<Map<String, String>> rows = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      if (lines.get(i).isEmpty()) {
        continue;
      }
      List<String> f = fields(lines.get(i));
      if (f.size() != header.size()) {
        throw new MalformedDataException(file, "line " + (i + 1) + " has " + f.size()
            + " fields, the header " + header.size());
      }
      Map<String, String> row = new HashMap<>();
      for (int c = 0; c < f.size(); c++) {
        row.put(header.get(c), f.get(c));
      }
      rows.add(row);
    }
    return rows;
  }

  /** Splits one RFC 4180 line (fields may be quoted, with doubled quotes inside). */
  static List<String> fields(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cur.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }

  private static double parse(String s) {
    return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
  }

  /** RFC 4180 quoting when a field holds a comma, quote or line break. */
  static String quote(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return '"' + s.replace("\"", "\"\"") + '"';
  }
}
