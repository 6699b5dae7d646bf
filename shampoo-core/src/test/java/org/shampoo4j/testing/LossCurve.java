package org.shampoo4j.testing;

import java.util.Arrays;

/**
 * The losses of a training run: {@code losses[i]} is the loss evaluated before update i+1 (so
 * {@code losses[0]} is the initial loss) and {@code finalLoss} the loss after the last update.
 *
 * @param losses per-step losses, one per update
 * @param finalLoss loss after the last update
 */
public record LossCurve(float[] losses, float finalLoss) {
  /** Copies the array. */
  public LossCurve {
    losses = losses.clone();
  }

  /** The per-step losses (a copy). */
  @Override
  public float[] losses() {
    return losses.clone();
  }

  /** Number of updates. */
  public int steps() {
    return losses.length;
  }

  /** The loss before any update. */
  public float initialLoss() {
    return losses.length == 0 ? finalLoss : losses[0];
  }

  /** The smallest loss seen, including the final one. */
  public float bestLoss() {
    float best = finalLoss;
    for (float l : losses) {
      best = Math.min(best, l);
    }
    return best;
  }

  /** Whether every loss is finite. */
  public boolean allFinite() {
    for (float l : losses) {
      if (!Float.isFinite(l)) {
        return false;
      }
    }
    return Float.isFinite(finalLoss);
  }

  /** A compact summary: initial, a few points, final. */
  public String summary() {
    int n = losses.length;
    StringBuilder sb = new StringBuilder("loss ").append(initialLoss());
    for (int k : new int[] {n / 4, n / 2, 3 * n / 4}) {
      if (k > 0 && k < n) {
        sb.append(" -> [").append(k).append("] ").append(losses[k]);
      }
    }
    return sb.append(" -> final ").append(finalLoss).toString();
  }

  @Override
  public String toString() {
    return "LossCurve" + Arrays.toString(losses) + " final " + finalLoss;
  }
}
