package org.shampoo4j.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.shampoo4j.bench.train.RunResult;

/**
 * The comparison table of a bench run, as aligned text for the terminal: per variant the final
 * losses and test accuracy, training time per epoch and per step, optimizer-state memory (split
 * into 4-bit codes, block scales and fp32), peak device memory, and the state, peak-memory and
 * time ratios to 32-bit Shampoo ({@value Comparison#SHAMPOO32}) and to the base optimizer (see
 * {@link Comparison}), when those variants ran in the same table.
 */
public final class ResultTable {
  /** The variant memory ratios are relative to. */
  public static final String REFERENCE = Comparison.SHAMPOO32;

  private static final String[] HEADER = {
    "variant", "epochs", "train loss", "test loss", "test acc %", "Δacc pts", "s/epoch",
    "ms/step", "state MiB", "codes MiB", "scales MiB", "fp32 MiB", "peak dev MiB",
    "state/s32", "state/base", "peak/s32", "peak/base", "time/s32", "time/base", "status"
  };

  private final List<RunResult> results;
  private final Comparison comparison;

  /**
   * A table of these results, in this order, with base-optimizer ratios against {@code baseId}.
   */
  public ResultTable(List<RunResult> results, String baseId) {
    this.results = List.copyOf(Objects.requireNonNull(results, "results"));
    this.comparison = new Comparison(this.results, baseId);
  }

  /** A table whose base optimizer is SGD-momentum. */
  public ResultTable(List<RunResult> results) {
    this(results, "sgd");
  }

  /** The rows as strings, header first, one cell per column. */
  public List<String[]> rows() {
    List<String[]> rows = new ArrayList<>();
    String[] header = HEADER.clone();
    header[14] = "state/" + comparison.baseId();
    header[16] = "peak/" + comparison.baseId();
    header[18] = "time/" + comparison.baseId();
    rows.add(header);
    for (RunResult r : results) {
      rows.add(new String[] {
        r.variant(),
        Integer.toString(r.epochs().size()),
        num(r.finalTrainLoss(), "%.4f"),
        num(r.finalTestLoss(), "%.4f"),
        num(100 * r.finalTestAccuracy(), "%.2f"),
        num(comparison.accuracyPointsVsShampoo32(r), "%+.2f"),
        num(r.secondsPerEpoch(), "%.1f"),
        num(r.millisPerStep(), "%.2f"),
        mib(r.stateMemory().total()),
        mib(r.stateMemory().codeBytes()),
        mib(r.stateMemory().scaleBytes()),
        mib(r.stateMemory().fp32Bytes()),
        r.peakDeviceBytes().isPresent() ? mib(r.peakDeviceBytes().getAsLong()) : "n/a",
        num(comparison.stateVsShampoo32(r), "%.3f"),
        num(comparison.stateVsBase(r), "%.3f"),
        num(comparison.peakVsShampoo32(r), "%.3f"),
        num(comparison.peakVsBase(r), "%.3f"),
        num(comparison.timeVsShampoo32(r), "%.2f"),
        num(comparison.timeVsBase(r), "%.2f"),
        r.failure().map(f -> f.startsWith(RunResult.INTERRUPTED) ? f : "FAILED: " + f)
            .orElse("ok")
      });
    }
    return rows;
  }

  /** The table as aligned text with a rule under the header. */
  public String render() {
    List<String[]> rows = rows();
    int cols = HEADER.length;
    int[] width = new int[cols];
    for (String[] row : rows) {
      for (int c = 0; c < cols; c++) {
        width[c] = Math.max(width[c], row[c].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < rows.size(); i++) {
      String[] row = rows.get(i);
      for (int c = 0; c < cols; c++) {
        // Text columns left-aligned, numbers right-aligned.
        boolean left = c == 0 || c == cols - 1;
        sb.append(pad(row[c], width[c], left));
        if (c < cols - 1) {
          sb.append("  ");
        }
      }
      sb.append(System.lineSeparator());
      if (i == 0) {
        int total = 0;
        for (int w : width) {
          total += w + 2;
        }
        sb.append("-".repeat(total - 2)).append(System.lineSeparator());
      }
    }
    return sb.toString();
  }

  private static String pad(String s, int width, boolean left) {
    String fill = " ".repeat(Math.max(0, width - s.length()));
    return left ? s + fill : fill + s;
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.3f", bytes / (1024.0 * 1024.0));
  }

  static String num(double v, String format) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
  }
}
