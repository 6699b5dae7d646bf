package org.shampoo4j.bench.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.shampoo4j.bench.train.EpochListener;
import org.shampoo4j.bench.train.EpochRecord;
import org.shampoo4j.bench.train.RunResult;

/**
 * One progress line per epoch for logs and terminals without progress bars: variant, epoch,
 * training loss, test accuracy, wall time of the epoch (training and evaluation) and the
 * estimated time left for this variant and for the whole invocation. The estimate for the
 * remaining variants assumes they cost what the current one does, which is rough: Shampoo
 * variants cost more than their base optimizer.
 */
final class EpochLog implements EpochListener {
  private final PrintWriter out;
  private final int variants;
  private final int epochs;
  private final long started;
  private int variantsDone;
  private long variantStart;

  /**
   * @param out where the lines go; null prints nothing
   * @param variants variants this invocation trains
   * @param epochs epochs per variant
   */
  EpochLog(PrintWriter out, int variants, int epochs) {
    this.out = out;
    this.variants = variants;
    this.epochs = epochs;
    this.started = System.nanoTime();
    this.variantStart = started;
  }

  @Override
  public void epochFinished(RunResult soFar, int plannedEpochs) {
    if (out == null) {
      return;
    }
    EpochRecord e = soFar.last().orElseThrow();
    double perEpoch = (System.nanoTime() - variantStart) / 1e9 / soFar.epochs().size();
    double left = perEpoch * (plannedEpochs - e.epoch());
    double leftAll = left + perEpoch * epochs * (variants - variantsDone - 1);
    out.println(line(soFar.variant(), e, plannedEpochs, perEpoch, left, leftAll));
    out.flush();
  }

  /** Starts timing the next variant. */
  void variantFinished() {
    variantsDone++;
    variantStart = System.nanoTime();
  }

  /** The line for one epoch. */
  static String line(String variant, EpochRecord e, int planned, double secondsPerEpoch,
      double leftSeconds, double leftAllSeconds) {
    return String.format(Locale.ROOT,
        "%-10s epoch %d/%d  train loss %.4f  test acc %.2f %%  %.1f s/epoch  ETA %s (all: ~%s)",
        variant, e.epoch(), planned, e.trainLoss(), 100 * e.testAccuracy(), secondsPerEpoch,
        duration(leftSeconds), duration(leftAllSeconds));
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }
}
