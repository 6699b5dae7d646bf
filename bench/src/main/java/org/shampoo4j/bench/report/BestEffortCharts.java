package org.shampoo4j.bench.report;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.shampoo4j.bench.train.RunResult;

/**
 * Runs a {@link ChartWriter} after the table and CSV files are out, so that a chart which cannot
 * be drawn costs only the chart: on a GPU host the JRE may lack {@code java.desktop} (charts fail
 * with {@link NoClassDefFoundError}), its font libraries ({@link UnsatisfiedLinkError}) or fonts
 * (a plain {@link Error} or a runtime exception from the font manager). Each such failure becomes
 * one warning line; only errors of the virtual machine itself (out of memory, stack overflow)
 * pass through.
 */
public final class BestEffortCharts {
  private final ChartWriter writer;
  private final PrintWriter warnings;

  /**
   * @param writer draws the charts
   * @param warnings where the one-line warning goes when drawing fails
   */
  public BestEffortCharts(ChartWriter writer, PrintWriter warnings) {
    this.writer = writer;
    this.warnings = warnings;
  }

  /**
   * Draws the charts, or warns.
   *
   * @return the paths written, empty when the charts could not be drawn
   */
  public List<Path> write(Path dir, String title, List<RunResult> results) {
    try {
      return writer.write(dir, title, results);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Exception | Error e) {
      warnings.println(String.format(Locale.ROOT,
          "warning: charts not drawn (%s: %s); the table and CSV files are complete",
          e.getClass().getName(), firstLine(e.getMessage())));
      warnings.flush();
      return List.of();
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no message";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
