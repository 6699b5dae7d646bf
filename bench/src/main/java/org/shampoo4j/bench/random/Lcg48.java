package org.shampoo4j.bench.random;

import java.util.random.RandomGenerator;

/**
 * The 48-bit linear congruential generator of {@code java.util.Random}, with its state readable
 * and restorable as one {@code long} so a checkpoint can store it as plain bytes (no Java
 * serialization). For the same seed, {@link #nextInt()}, {@link #nextInt(int)}, {@link
 * #nextBoolean()}, {@link #nextLong()}, {@link #nextFloat()} and {@link #nextDouble()} give the
 * numbers {@code new java.util.Random(seed)} gives, so runs that used {@code Random} reproduce.
 * Gaussian draws use {@link RandomGenerator}'s stateless default (not {@code Random}'s cached
 * pair), so the whole state stays one number. Not thread-safe.
 */
public final class Lcg48 implements RandomGenerator {
  private static final long MULTIPLIER = 0x5DEECE66DL;
  private static final long ADDEND = 0xBL;
  private static final long MASK = (1L << 48) - 1;

  private long state;

  private Lcg48(long state) {
    this.state = state;
  }

  /** A generator seeded as {@code new java.util.Random(seed)} is. */
  public static Lcg48 seeded(long seed) {
    return new Lcg48((seed ^ MULTIPLIER) & MASK);
  }

  /**
   * A generator continuing from a state returned by {@link #state()}.
   *
   * @throws IllegalArgumentException if {@code state} has bits above the 48th
   */
  public static Lcg48 fromState(long state) {
    if ((state & ~MASK) != 0) {
      throw new IllegalArgumentException(
          "a 48-bit generator state has no bits above bit 47, got 0x" + Long.toHexString(state));
    }
    return new Lcg48(state);
  }

  /** The internal 48-bit state; {@link #fromState} continues the sequence from here. */
  public long state() {
    return state;
  }

  private int next(int bits) {
    state = (state * MULTIPLIER + ADDEND) & MASK;
    return (int) (state >>> (48 - bits));
  }

  @Override
  public int nextInt() {
    return next(32);
  }

  /** Uniform in {@code [0, bound)}, by {@code java.util.Random}'s rejection method. */
  @Override
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, got " + bound);
    }
    int r = next(31);
    int m = bound - 1;
    if ((bound & m) == 0) {
      return (int) ((bound * (long) r) >> 31);
    }
    for (int u = r; u - (r = u % bound) + m < 0; u = next(31)) {
      // rejected: u fell in the incomplete last interval
    }
    return r;
  }

  @Override
  public long nextLong() {
    return ((long) next(32) << 32) + next(32);
  }

  @Override
  public boolean nextBoolean() {
    return next(1) != 0;
  }

  @Override
  public float nextFloat() {
    return next(24) / ((float) (1 << 24));
  }

  @Override
  public double nextDouble() {
    return (((long) next(26) << 27) + next(27)) * 0x1.0p-53;
  }
}
