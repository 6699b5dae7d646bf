package org.shampoo4j.bench.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Reports a usage error in two lines, the reason and {@code see <command> --help}, instead of
 * picocli's default of the reason followed by the full usage, which scrolls the reason away.
 * Suggestions for a mistyped option are kept. The exit code is the command's code for invalid
 * input (2).
 */
final class ShortUsageErrors implements IParameterExceptionHandler {
  /** Installs the handler on {@code cl}; returns {@code cl}. */
  static CommandLine install(CommandLine cl) {
    cl.setParameterExceptionHandler(new ShortUsageErrors());
    return cl;
  }

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println(ex.getMessage());
    UnmatchedArgumentException.printSuggestions(ex, err);
    err.println("see " + cl.getCommandSpec().qualifiedName() + " --help");
    err.flush();
    return cl.getExitCodeExceptionMapper() != null
        ? cl.getExitCodeExceptionMapper().getExitCode(ex)
        : cl.getCommandSpec().exitCodeOnInvalidInput();
  }
}
