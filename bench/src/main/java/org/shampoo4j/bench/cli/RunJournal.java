package org.shampoo4j.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.shampoo4j.bench.report.CsvReport;
import org.shampoo4j.bench.train.EpochListener;
import org.shampoo4j.bench.train.RunResult;

/**
 * Keeps what a bench invocation has finished and writes it to the CSV files as it goes: after
 * each epoch (the run in flight appears as "interrupted after epoch k of n", so that even a hard
 * kill leaves the last finished epoch on disk) and after each variant. Its {@link
 * #shutdownHook()} writes the same when the JVM is stopped (Ctrl-C, SIGTERM), so an interrupted
 * run keeps everything that finished. Runs from an earlier invocation ({@code --append}) come
 * first and are replaced by a new run of the same variant. Thread-safe: the hook runs on its own
 * thread while training goes on.
 */
final class RunJournal implements EpochListener {
  private final Path dir;
  private final String baseId;
  private final List<RunResult> earlier;
  private final List<RunResult> finished = new ArrayList<>();
  private final PrintWriter err;
  private RunResult inFlight;
  private boolean complete;

  /**
   * @param dir where the CSV files go
   * @param baseId the base optimizer's variant id, for the ratio columns
   * @param earlier runs read back from an earlier invocation (empty unless appending)
   * @param err where write failures and the interruption notice go
   */
  RunJournal(Path dir, String baseId, List<RunResult> earlier, PrintWriter err) {
    this.dir = Objects.requireNonNull(dir, "dir");
    this.baseId = Objects.requireNonNull(baseId, "baseId");
    this.earlier = List.copyOf(earlier);
    this.err = Objects.requireNonNull(err, "err");
  }

  @Override
  public synchronized void epochFinished(RunResult soFar, int plannedEpochs) {
    inFlight = soFar.interrupted(plannedEpochs);
    writeQuietly();
  }

  /** Records a finished variant (completed or failed) and writes the files. */
  synchronized void variantFinished(RunResult result) {
    inFlight = null;
    finished.add(result);
    writeQuietly();
  }

  /** Every run to report: earlier ones, then this invocation's, then the one in flight. */
  synchronized List<RunResult> results() {
    List<RunResult> mine = new ArrayList<>(finished);
    if (inFlight != null) {
      mine.add(inFlight);
    }
    return CsvReport.merge(earlier, mine);
  }

  /** The runs of this invocation that finished. */
  synchronized List<RunResult> finished() {
    return List.copyOf(finished);
  }

  /** Marks the invocation complete: the shutdown hook then writes nothing. */
  synchronized void complete() {
    complete = true;
  }

  /**
   * What the shutdown hook does: unless {@link #complete()} was called, writes the CSV files with
   * every finished run and the in-flight run's finished epochs, and says so on {@code err}.
   *
   * @return whether it wrote
   */
  synchronized boolean onShutdown() {
    if (complete) {
      return false;
    }
    List<Path> written = writeQuietly();
    err.println();
    err.println("interrupted: " + finished.size() + " variant(s) finished"
        + (inFlight == null ? "" : ", " + inFlight.variant() + " " + inFlight.status())
        + "; wrote " + written);
    err.flush();
    return true;
  }

  /** A thread for {@link Runtime#addShutdownHook} that calls {@link #onShutdown()}. */
  Thread shutdownHook() {
    return new Thread(this::onShutdown, "bench-journal");
  }

  private List<Path> writeQuietly() {
    try {
      return CsvReport.write(dir, results(), baseId);
    } catch (IOException e) {
      err.println("warning: cannot write results to " + dir + ": " + e.getMessage());
      err.flush();
      return List.of();
    }
  }
}
