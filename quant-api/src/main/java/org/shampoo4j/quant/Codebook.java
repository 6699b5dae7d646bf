package org.shampoo4j.quant;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable quantization codebook: {@code 2^bits} strictly increasing values in {@code [-1, 1]}.
 *
 * <p>A value {@code y} (already scaled by its block's reciprocal scale) is encoded as the index of
 * the nearest codebook value, exactly as the official 4-bit Shampoo CUDA kernels do (docs/algorithms.md §8):
 * nearness is decided by comparing {@code y} with the float32 midpoints {@code (v_j + v_(j+1))·0.5f}
 * between neighbouring values, and a value that equals a midpoint goes to the <b>even</b> one of the
 * two codes (the official binary search always ends on an even pivot and keeps it on a tie). Both
 * quantizer paths (pure Java and DJL) compare against the same {@link #thresholds() thresholds},
 * which is what makes them agree bit for bit.
 */
public final class Codebook {
  /** Largest supported bit width: codes must fit in one byte. */
  public static final int MAX_BITS = 8;

  private final String mapName;
  private final int bits;
  private final float[] values;
  private final float[] midpoints;
  private final float[] thresholds;

  private Codebook(String mapName, int bits, float[] values) {
    this.mapName = mapName;
    this.bits = bits;
    this.values = values;
    this.midpoints = new float[values.length - 1];
    for (int j = 0; j < midpoints.length; j++) {
      midpoints[j] = (values[j] + values[j + 1]) * 0.5f;
    }
    // Ties to the even code: midpoint j separates code j from j + 1. When j is odd, j + 1 is even
    // and a tie must go up, i.e. y >= m, which for floats is y > nextDown(m).
    this.thresholds = midpoints.clone();
    for (int j = 1; j < thresholds.length; j += 2) {
      thresholds[j] = Math.nextDown(midpoints[j]);
    }
  }

  /**
   * Creates a codebook.
   *
   * @param mapName name of the map that built it, part of the {@link #id()}
   * @param bits bit width, 1 to 8
   * @param values exactly {@code 2^bits} strictly increasing finite values in {@code [-1, 1]}
   * @throws IllegalArgumentException if any of these conditions does not hold
   */
  public static Codebook of(String mapName, int bits, float[] values) {
    Objects.requireNonNull(mapName, "mapName");
    Objects.requireNonNull(values, "values");
    if (mapName.isBlank()) {
      throw new IllegalArgumentException("map name must not be blank");
    }
    if (bits < 1 || bits > MAX_BITS) {
      throw new IllegalArgumentException("bits must be in [1, " + MAX_BITS + "], got " + bits);
    }
    if (values.length != 1 << bits) {
      throw new IllegalArgumentException(
          "a " + bits + "-bit codebook needs " + (1 << bits) + " values, got " + values.length);
    }
    for (int j = 0; j < values.length; j++) {
      float v = values[j];
      if (!Float.isFinite(v) || v < -1f || v > 1f) {
        throw new IllegalArgumentException("codebook value " + j + " = " + v + " is not in [-1, 1]");
      }
      if (j > 0 && !(values[j - 1] < v)) {
        throw new IllegalArgumentException(
            "codebook values must be strictly increasing: value " + j + " = " + v
                + " follows " + values[j - 1]);
      }
    }
    return new Codebook(mapName, bits, values.clone());
  }

  /** Name of the map that built this codebook, for example {@code linear2}. */
  public String mapName() {
    return mapName;
  }

  /** Bit width of a code. */
  public int bits() {
    return bits;
  }

  /** Number of codes, {@code 2^bits}. */
  public int size() {
    return values.length;
  }

  /** A stable identity such as {@code linear2/4}, stored in packed tensors. */
  public String id() {
    return mapName + "/" + bits;
  }

  /** The value of a code. */
  public float decode(int code) {
    return values[code];
  }

  /**
   * The code of the nearest value to {@code y}; an exact tie goes to the even code. {@code y} is
   * expected in {@code [-1, 1]}; values outside clamp to the end codes.
   */
  public int encode(float y) {
    // Count the thresholds strictly below y by binary lifting: bits steps of size 2^(bits-1) .. 1.
    // Each step is a compare and an add with no data-dependent branch (the JIT emits a
    // conditional move), about three times faster than a branching binary search on
    // unpredictable data. NaN compares false everywhere and encodes to 0.
    int code = 0;
    for (int step = values.length >>> 1; step > 0; step >>>= 1) {
      code += y > thresholds[code + step - 1] ? step : 0;
    }
    return code;
  }

  /** A copy of the values, in code order. */
  public float[] values() {
    return values.clone();
  }

  /** A copy of the float32 midpoints: {@code midpoints[j]} is halfway between codes j and j + 1. */
  public float[] midpoints() {
    return midpoints.clone();
  }

  /**
   * A copy of the decision thresholds: the code of {@code y} is the number of thresholds strictly
   * below {@code y}. Threshold j is {@code midpoints[j]} for even j and the next float below it for
   * odd j, which sends a value exactly on a midpoint to the even code.
   */
  public float[] thresholds() {
    return thresholds.clone();
  }

  /**
   * The largest error {@code |y - decode(encode(y))|} over {@code y} in {@code [-1, 1]}: half the
   * largest gap between neighbouring values, or the distance from an end value to ±1 if larger.
   */
  public float maxRoundingError() {
    float worst = Math.max(values[0] + 1f, 1f - values[values.length - 1]);
    for (int j = 0; j + 1 < values.length; j++) {
      worst = Math.max(worst, (values[j + 1] - values[j]) * 0.5f);
    }
    return worst;
  }

  /** The code whose value is closest to zero (used to pad and for all-zero blocks). */
  public int zeroCode() {
    return encode(0f);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Codebook other
        && bits == other.bits
        && mapName.equals(other.mapName)
        && Arrays.equals(values, other.values);
  }

  @Override
  public int hashCode() {
    return 31 * id().hashCode() + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "Codebook[" + id() + " " + Arrays.toString(values) + "]";
  }
}
