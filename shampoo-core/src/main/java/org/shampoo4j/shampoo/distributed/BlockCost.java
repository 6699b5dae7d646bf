package org.shampoo4j.shampoo.distributed;

/**
 * The cost that sharding balances across devices, per {@link WorkUnit}. For a Shampoo block of
 * {@code r × c} elements (left statistic of order r, right of order c):
 */
public enum BlockCost {
  /**
   * Elements of state the unit keeps: {@code r² + c²} for its two statistics plus {@code r·c} for
   * the base optimizer's state of its elements (an unpreconditioned parameter of n elements costs
   * n). A proxy for bytes that weighs statistic and base-state elements alike (the real bytes per
   * element differ: fp32 statistics with their roots take 8, 4-bit ones about 1.2, an fp32
   * momentum 4), so it splits memory evenly when the model's blocks are alike and close to evenly
   * otherwise; the default (Meta's distributed Shampoo also balances memory).
   */
  STATE_SIZE {
    @Override
    long compute(long r, long c) {
      return r * r + c * c + r * c;
    }
  },
  /**
   * Arithmetic of the unit: {@code r³ + c³} for refreshing both inverse roots plus {@code r·c·(r +
   * c)} for the direction {@code L̂·G·R̂} (an unpreconditioned parameter of n elements costs n).
   * Balances the T2 steps, whose eigendecompositions dominate the time.
   */
  ROOT_WORK {
    @Override
    long compute(long r, long c) {
      return r * r * r + c * c * c + r * c * (r + c);
    }
  };

  /**
   * The cost of a preconditioned block of {@code rows × cols} elements.
   *
   * @throws IllegalArgumentException if a dimension is not positive
   */
  public long ofBlock(int rows, int cols) {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException(
          "block dimensions must be positive, got " + rows + "x" + cols);
    }
    return compute(rows, cols);
  }

  abstract long compute(long rows, long cols);

  /**
   * The cost of a parameter of {@code elements} elements that only the base optimizer updates.
   *
   * @throws IllegalArgumentException if {@code elements} is negative
   */
  public long ofUnpreconditioned(long elements) {
    if (elements < 0) {
      throw new IllegalArgumentException("element count must be non-negative, got " + elements);
    }
    return elements;
  }
}
