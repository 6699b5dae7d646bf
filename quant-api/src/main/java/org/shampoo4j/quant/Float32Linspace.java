package org.shampoo4j.quant;

/**
 * Evenly spaced float32 values computed exactly as PyTorch's CPU {@code torch.linspace} computes
 * them in float32 (its AVX2 kernel, the one torch dispatches to on x86-64), so codebooks built
 * from it match the official 4-bit Shampoo code, which builds its maps on the CPU, bit for bit
 * (docs/algorithms.md §8).
 *
 * <p>The kernel rounds the step {@code (end - start) / (steps - 1)} to float32; the first half of
 * the values counts up from {@code start}, the second half down from {@code end}. Runs of 16
 * values are computed as two vectors of 8: each vector's first value is one fused multiply-add
 * ({@code start + step·i} or {@code end − step·(steps − 1 − i)}), its lane k adds {@code k·step}
 * (rounded) to it. The values after the last full run are each one fused multiply-add. The
 * results differ from a correctly rounded linspace by up to a few ulp, which is the point.
 */
public final class Float32Linspace {
  private static final int LANES = 8;

  private Float32Linspace() {}

  /**
   * {@code steps} values from {@code start} to {@code end}.
   *
   * @param start first value (rounded to float32 first, as torch does with a Python number)
   * @param end last value (rounded to float32 first)
   * @param steps number of values, at least 2
   * @throws IllegalArgumentException if {@code steps < 2} or a bound is not finite
   */
  public static float[] of(double start, double end, int steps) {
    if (steps < 2) {
      throw new IllegalArgumentException("linspace needs at least 2 steps, got " + steps);
    }
    if (!Double.isFinite(start) || !Double.isFinite(end)) {
      throw new IllegalArgumentException("linspace bounds must be finite: " + start + ", " + end);
    }
    float from = (float) start;
    float to = (float) end;
    float step = (to - from) / (steps - 1);
    int halfway = steps / 2;
    float[] out = new float[steps];
    int i = 0;
    for (; i + 2 * LANES <= steps; i += 2 * LANES) {
      for (int v = i; v < i + 2 * LANES; v += LANES) {
        float base = at(from, to, step, steps, halfway, v);
        for (int k = 0; k < LANES; k++) {
          out[v + k] = base + k * step;
        }
      }
    }
    for (; i < steps; i++) {
      out[i] = at(from, to, step, steps, halfway, i);
    }
    return out;
  }

  // One value as the kernel's scalar expression, contracted to a fused multiply-add.
  private static float at(float from, float to, float step, int steps, int halfway, int i) {
    return i < halfway
        ? Math.fma(step, (float) i, from)
        : Math.fma(-step, (float) (steps - i - 1), to);
  }
}
