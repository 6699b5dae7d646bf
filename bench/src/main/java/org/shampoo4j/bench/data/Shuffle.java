package org.shampoo4j.bench.data;

import java.util.random.RandomGenerator;

/** Seeded permutations (Fisher–Yates), so every run with the same seed sees the same order. */
public final class Shuffle {
  private Shuffle() {}

  /** A uniformly random permutation of {@code 0..n-1} drawn from {@code random}. */
  public static int[] permutation(int n, RandomGenerator random) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
