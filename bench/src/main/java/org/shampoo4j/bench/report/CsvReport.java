package org.shampoo4j.bench.report;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.shampoo4j.bench.train.EpochRecord;
import org.shampoo4j.bench.train.RunResult;

/**
 * Writes a bench run as two CSV files: {@code summary.csv} (one row per variant, final numbers
 * and state bytes) and {@code curves.csv} (one row per variant and epoch).
 */
public final class CsvReport {
  /** File name of the per-variant summary. */
  public static final String SUMMARY = "summary.csv";
  /** File name of the per-epoch curves. */
  public static final String CURVES = "curves.csv";

  private CsvReport() {}

  /**
   * Writes both files into {@code dir} (created if needed).
   *
   * @return the paths written
   */
  public static List<Path> write(Path dir, List<RunResult> results) throws IOException {
    Files.createDirectories(dir);
    Path summary = dir.resolve(SUMMARY);
    try (Writer w = Files.newBufferedWriter(summary, StandardCharsets.UTF_8)) {
      w.write("variant,description,epochs,steps,final_train_loss,final_test_loss,"
          + "final_test_accuracy,train_seconds,ms_per_step,state_bytes,code_bytes,scale_bytes,"
          + "fp32_bytes,status\n");
      for (RunResult r : results) {
        w.write(String.join(",",
            quote(r.variant()), quote(r.description()),
            Integer.toString(r.epochs().size()), Long.toString(r.steps()),
            num(r.finalTrainLoss()), num(r.finalTestLoss()), num(r.finalTestAccuracy()),
            num(r.trainSeconds()), num(r.millisPerStep()),
            Long.toString(r.stateMemory().total()), Long.toString(r.stateMemory().codeBytes()),
            Long.toString(r.stateMemory().scaleBytes()), Long.toString(r.stateMemory().fp32Bytes()),
            quote(r.failure().map(f -> "failed: " + f).orElse("ok"))));
        w.write('\n');
      }
    }
    Path curves = dir.resolve(CURVES);
    try (Writer w = Files.newBufferedWriter(curves, StandardCharsets.UTF_8)) {
      w.write("variant,epoch,train_loss,test_loss,test_accuracy,elapsed_seconds\n");
      for (RunResult r : results) {
        for (EpochRecord e : r.epochs()) {
          w.write(String.join(",", quote(r.variant()), Integer.toString(e.epoch()),
              num(e.trainLoss()), num(e.testLoss()), num(e.testAccuracy()),
              num(e.elapsedSeconds())));
          w.write('\n');
        }
      }
    }
    return List.of(summary, curves);
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
