package org.shampoo4j.testing;

import ai.djl.ndarray.NDManager;

/**
 * What a decoding-fuzz property container shares: one manager for all tries, and the count of
 * inputs rejected with the documented exception and of inputs decoded, printed as one summary
 * line ({@code <name> fuzz: R rejected with IllegalArgumentException, D decoded}) when closed.
 */
public final class FuzzTally implements AutoCloseable {
  private final String name;
  private final NDManager manager = NDManager.newBaseManager();
  private int rejected;
  private int decoded;

  /** A tally named in its summary line, for example {@code rank-1 state}. */
  public FuzzTally(String name) {
    this.name = name;
  }

  /** The manager the tries create their arrays under (in sub-managers). */
  public NDManager manager() {
    return manager;
  }

  /** Counts an input rejected with the documented exception. */
  public void rejected() {
    rejected++;
  }

  /** Counts an input that decoded. */
  public void decoded() {
    decoded++;
  }

  /** Frees the manager and prints the summary line. */
  @Override
  public void close() {
    manager.close();
    System.out.printf("%s fuzz: %d rejected with IllegalArgumentException, %d decoded%n", name,
        rejected, decoded);
  }
}
