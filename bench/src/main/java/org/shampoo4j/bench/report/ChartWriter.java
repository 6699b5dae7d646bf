package org.shampoo4j.bench.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.shampoo4j.bench.train.RunResult;

/**
 * Draws a bench run as image files. The bench's numbers never depend on it: {@link
 * BestEffortCharts} turns any failure to draw (no display, no fonts, no {@code java.desktop}
 * module) into a warning.
 */
@FunctionalInterface
public interface ChartWriter {
  /**
   * Writes the charts of {@code results} into {@code dir}.
   *
   * @param title a title prefix naming model and data
   * @return the paths written
   */
  List<Path> write(Path dir, String title, List<RunResult> results) throws IOException;

  /**
   * The XChart PNG writer ({@link Charts}). A lambda rather than a method reference, so that
   * {@link Charts} and the AWT classes behind it are first loaded when a chart is drawn, where a
   * JRE without {@code java.desktop} fails catchably, and not when this writer is created.
   */
  static ChartWriter xchart() {
    return (dir, title, results) -> Charts.write(dir, title, results);
  }
}
