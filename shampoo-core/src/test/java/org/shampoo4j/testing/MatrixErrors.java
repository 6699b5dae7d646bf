package org.shampoo4j.testing;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;

/**
 * The papers' two error measures of a matrix against a reference (docs/algorithms.md §3), in double on the host:
 * the normalized error and the angle error. The one place the tests of every module take them
 * from.
 */
public final class MatrixErrors {
  private MatrixErrors() {}

  /**
   * Normalized error {@code ‖approx − reference‖F / ‖reference‖F}; 0 when the two are equal (also
   * both zero).
   */
  public static double nre(DMatrixRMaj approx, DMatrixRMaj reference) {
    requireSameShape(approx, reference);
    DMatrixRMaj d = new DMatrixRMaj(reference.numRows, reference.numCols);
    CommonOps_DDRM.subtract(approx, reference, d);
    double num = NormOps_DDRM.normF(d);
    return num == 0 ? 0 : num / NormOps_DDRM.normF(reference);
  }

  /**
   * Angle error in degrees: arccos of the Frobenius cosine between the two matrices as vectors,
   * the cosine clamped to [−1, 1] (rounding can take it just outside).
   */
  public static double angleDegrees(DMatrixRMaj approx, DMatrixRMaj reference) {
    requireSameShape(approx, reference);
    double dot = 0;
    for (int i = 0; i < reference.getNumElements(); i++) {
      dot += approx.get(i) * reference.get(i);
    }
    double cos = dot / (NormOps_DDRM.normF(approx) * NormOps_DDRM.normF(reference));
    return Math.toDegrees(Math.acos(Math.max(-1.0, Math.min(1.0, cos))));
  }

  private static void requireSameShape(DMatrixRMaj a, DMatrixRMaj b) {
    if (a.numRows != b.numRows || a.numCols != b.numCols) {
      throw new IllegalArgumentException("shapes differ: " + a.numRows + "x" + a.numCols
          + " and " + b.numRows + "x" + b.numCols);
    }
  }
}
