package org.shampoo4j.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.shampoo4j.bench.train.RunResult;

/**
 * The comparison table of a bench run, as aligned text for the terminal. The memory ratio column
 * compares each variant's optimizer state with the 32-bit Shampoo run of the same invocation
 * (variant id {@value #REFERENCE}), when that variant was run.
 */
public final class ResultTable {
  /** The variant memory ratios are relative to. */
  public static final String REFERENCE = "shampoo32";

  private static final String[] HEADER = {
    "variant", "epochs", "train loss", "test loss", "test acc %", "train s", "ms/step",
    "state KiB", "codes KiB", "scales KiB", "fp32 KiB", "vs shampoo32", "status"
  };

  private final List<RunResult> results;

  /** A table of these results, in this order. */
  public ResultTable(List<RunResult> results) {
    this.results = List.copyOf(Objects.requireNonNull(results, "results"));
  }

  /** The rows as strings, header first, one cell per column. */
  public List<String[]> rows() {
    Optional<Long> reference = results.stream()
        .filter(r -> r.variant().equals(REFERENCE))
        .map(r -> r.stateMemory().total())
        .findFirst();
    List<String[]> rows = new ArrayList<>();
    rows.add(HEADER.clone());
    for (RunResult r : results) {
      long total = r.stateMemory().total();
      String ratio = reference.filter(ref -> ref > 0)
          .map(ref -> String.format(Locale.ROOT, "%.3f", (double) total / ref))
          .orElse("-");
      rows.add(new String[] {
        r.variant(),
        Integer.toString(r.epochs().size()),
        num(r.finalTrainLoss(), "%.4f"),
        num(r.finalTestLoss(), "%.4f"),
        num(100 * r.finalTestAccuracy(), "%.2f"),
        num(r.trainSeconds(), "%.1f"),
        num(r.millisPerStep(), "%.2f"),
        kib(total),
        kib(r.stateMemory().codeBytes()),
        kib(r.stateMemory().scaleBytes()),
        kib(r.stateMemory().fp32Bytes()),
        ratio,
        r.failure().map(f -> "FAILED: " + f).orElse("ok")
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
        String cell = left ? pad(row[c], width[c], true) : pad(row[c], width[c], false);
        sb.append(cell);
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

  static String kib(long bytes) {
    return String.format(Locale.ROOT, "%.1f", bytes / 1024.0);
  }

  static String num(double v, String format) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
  }
}
