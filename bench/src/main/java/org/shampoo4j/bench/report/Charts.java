package org.shampoo4j.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.shampoo4j.bench.train.EpochRecord;
import org.shampoo4j.bench.train.RunResult;

/**
 * Draws a bench run as PNG files with XChart: training-loss curves, test-accuracy curves and
 * stacked bars of optimizer-state memory (codes, scales, fp32) per variant.
 */
public final class Charts {
  /** File name of the training-loss plot. */
  public static final String LOSS = "loss.png";
  /** File name of the test-accuracy plot. */
  public static final String ACCURACY = "accuracy.png";
  /** File name of the memory bar chart. */
  public static final String MEMORY = "memory.png";

  private static final int WIDTH = 1000;
  private static final int HEIGHT = 620;
  private static final double MIB = 1024.0 * 1024.0;

  private Charts() {}

  /**
   * Writes the three plots into {@code dir} (created if needed).
   *
   * @param title a title prefix naming model and data
   * @return the paths written
   */
  public static List<Path> write(Path dir, String title, List<RunResult> results)
      throws IOException {
    // Rendering needs no display.
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(dir);
    Path loss = dir.resolve(LOSS);
    save(curves(title + ": training loss", "mean cross-entropy", results, true), loss);
    Path acc = dir.resolve(ACCURACY);
    save(curves(title + ": test accuracy", "accuracy %", results, false), acc);
    Path mem = dir.resolve(MEMORY);
    BitmapEncoder.saveBitmap(memory(title + ": optimizer state", results), mem.toString(),
        BitmapFormat.PNG);
    return List.of(loss, acc, mem);
  }

  private static XYChart curves(String title, String yTitle, List<RunResult> results,
      boolean loss) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle("epoch").yAxisTitle(yTitle).build();
    chart.getStyler().setLegendPosition(LegendPosition.OutsideE);
    chart.getStyler().setYAxisLogarithmic(loss && allPositive(results));
    for (RunResult r : results) {
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (EpochRecord e : r.epochs()) {
        double v = loss ? e.trainLoss() : 100 * e.testAccuracy();
        if (Double.isFinite(v)) {
          x.add((double) e.epoch());
          y.add(v);
        }
      }
      if (!x.isEmpty()) {
        chart.addSeries(r.variant(), x, y).setMarker(SeriesMarkers.CIRCLE);
      }
    }
    return chart;
  }

  private static boolean allPositive(List<RunResult> results) {
    return results.stream().flatMap(r -> r.epochs().stream())
        .allMatch(e -> !(e.trainLoss() <= 0));
  }

  private static CategoryChart memory(String title, List<RunResult> results) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle("variant").yAxisTitle("MiB").build();
    chart.getStyler().setStacked(true);
    chart.getStyler().setLegendPosition(LegendPosition.InsideNE);
    chart.getStyler().setXAxisLabelRotation(30);
    List<String> names = new ArrayList<>();
    List<Double> codes = new ArrayList<>();
    List<Double> scales = new ArrayList<>();
    List<Double> fp32 = new ArrayList<>();
    for (RunResult r : results) {
      names.add(r.variant());
      codes.add(r.stateMemory().codeBytes() / MIB);
      scales.add(r.stateMemory().scaleBytes() / MIB);
      fp32.add(r.stateMemory().fp32Bytes() / MIB);
    }
    chart.addSeries("fp32", names, fp32);
    chart.addSeries("4-bit codes", names, codes);
    chart.addSeries("block scales", names, scales);
    return chart;
  }

  private static void save(XYChart chart, Path path) throws IOException {
    BitmapEncoder.saveBitmap(chart, path.toString(), BitmapFormat.PNG);
  }
}
