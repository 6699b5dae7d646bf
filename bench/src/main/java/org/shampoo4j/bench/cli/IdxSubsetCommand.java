package org.shampoo4j.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.shampoo4j.bench.data.FashionMnist;
import org.shampoo4j.bench.data.IdxSubset;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code idx-subset} command: writes the first N training and M test images of an
 * MNIST-style IDX data set (Fashion-MNIST by default) as a smaller valid IDX data set, so that a
 * run elsewhere can carry a few MB instead of 30.
 */
@Command(
    name = "idx-subset",
    mixinStandardHelpOptions = true,
    version = "idx-subset 0.1.0",
    sortOptions = false,
    description = {
      "Writes the first --train training and --test test images and labels of an MNIST-style "
          + "IDX data set into --to as gzipped IDX files with the standard names; "
          + "'shampoo4j-bench --data DIR' (or --dataset fashion-mnist --data DIR) reads them.",
    },
    footer = {"", "Exit status: 0 written; 2 bad options or data."})
public final class IdxSubsetCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--from", paramLabel = "DIR",
      description = "Source directory with the four IDX files. Default: ${DEFAULT-VALUE}.")
  Path from = FashionMnist.SYSTEM_DIRECTORY;

  @Option(names = "--to", paramLabel = "DIR", required = true,
      description = "Directory to write (created if needed; files there are replaced).")
  Path to;

  @Option(names = "--train", paramLabel = "N", required = true,
      description = "Training images to keep (the first N).")
  int train;

  @Option(names = "--test", paramLabel = "N",
      description = "Test images to keep (the first N). Default: ${DEFAULT-VALUE}.")
  int test = 10_000;

  /** Creates the command with its defaults; picocli fills the options. */
  public IdxSubsetCommand() {}

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(ShortUsageErrors.install(new CommandLine(new IdxSubsetCommand())).execute(args));
  }

  @Override
  public Integer call() {
    if (!Files.isDirectory(from)) {
      throw new ParameterException(spec.commandLine(), "--from " + from + " is not a directory"
          + (from.equals(FashionMnist.SYSTEM_DIRECTORY)
              ? "; install Fashion-MNIST with: " + FashionMnist.INSTALL_COMMAND : ""));
    }
    List<Path> written;
    try {
      written = IdxSubset.write(from, to, train, test);
    } catch (IOException | IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    long bytes = 0;
    for (Path p : written) {
      try {
        bytes += Files.size(p);
      } catch (IOException e) {
        throw new ParameterException(spec.commandLine(), "cannot read back " + p, e);
      }
    }
    out.printf(Locale.ROOT, "wrote %d train / %d test images to %s (%.1f MB): %s%n", train, test,
        to, bytes / 1e6, written);
    out.flush();
    return 0;
  }
}
