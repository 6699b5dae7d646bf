package org.shampoo4j.shampoo.representation.naive;

/**
 * How {@link NaiveQuantizedRepresentation} computes {@code L̂} from its dequantized statistic
 * {@code D(S̄)}, which 4-bit rounding leaves slightly asymmetric and, with hundreds of small
 * negative eigenvalues at order 1200, indefinite (docs/algorithms.md §8).
 */
public enum NaiveRoot {
  /**
   * The default: symmetrise, {@code (D(S̄) + D(S̄)ᵀ)/2}, add the ridge {@code eps·λmax} and take the
   * root with the optimizer's root method (eigh by default, which clamps negative eigenvalues to a
   * tiny floor, so they get the largest weight in the root).
   */
  SYMMETRIZED,
  /**
   * The official code's: {@link org.shampoo4j.linalg.OfficialComputePower} on the unsymmetrised
   * {@code D(S̄)} (power-iteration ridge, Frobenius-scaled Schur–Newton, at most 10 steps, stopping
   * when the max-abs error grows 1.2×), ignoring the optimizer's root method. Use it to compare
   * with the paper's naive 4-bit baseline.
   */
  OFFICIAL_SCHUR_NEWTON
}
