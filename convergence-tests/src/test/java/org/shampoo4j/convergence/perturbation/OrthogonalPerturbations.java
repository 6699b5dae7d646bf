package org.shampoo4j.convergence.perturbation;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.shampoo4j.convergence.fixtures.Dense;

/**
 * Exactly orthogonal small rotations Q, so that {@code U·Q} is an orthogonal perturbation
 * {@code U + ΔU} of an orthogonal U (the setting of Lemma 1).
 */
final class OrthogonalPerturbations {
  private OrthogonalPerturbations() {}

  /**
   * The Cayley transform {@code (I − S)^(−1)·(I + S)} of a random skew-symmetric S with entries of
   * standard deviation {@code size}: orthogonal for every skew S, close to I for small S.
   */
  static DMatrixRMaj cayley(int n, double size, Random random) {
    DMatrixRMaj s = new DMatrixRMaj(n, n);
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        double v = size * random.nextGaussian();
        s.set(i, j, v);
        s.set(j, i, -v);
      }
    }
    DMatrixRMaj iMinus = Dense.combine(1, Dense.identity(n), -1, s);
    DMatrixRMaj iPlus = Dense.combine(1, Dense.identity(n), 1, s);
    DMatrixRMaj out = new DMatrixRMaj(n, n);
    if (!CommonOps_DDRM.solve(iMinus, iPlus, out)) {
      throw new IllegalStateException("I − S is singular, impossible for skew-symmetric S");
    }
    return out;
  }

  /** A product of {@code count} Givens rotations on random planes with angles in [−maxAngle, maxAngle]. */
  static DMatrixRMaj givensProduct(int n, int count, double maxAngle, Random random) {
    DMatrixRMaj q = Dense.identity(n);
    for (int k = 0; k < count; k++) {
      int i = random.nextInt(n);
      int j = random.nextInt(n - 1);
      if (j >= i) {
        j++;
      }
      double theta = maxAngle * (2 * random.nextDouble() - 1);
      double c = Math.cos(theta);
      double s = Math.sin(theta);
      // Right-multiply by the rotation in the (i, j) plane: mixes columns i and j.
      for (int r = 0; r < n; r++) {
        double qi = q.get(r, i);
        double qj = q.get(r, j);
        q.set(r, i, c * qi - s * qj);
        q.set(r, j, s * qi + c * qj);
      }
    }
    return q;
  }
}
