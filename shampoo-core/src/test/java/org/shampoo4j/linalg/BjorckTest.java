package org.shampoo4j.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.shampoo4j.testing.Matrices;

/** {@link Bjorck} pulls a perturbed orthogonal matrix back toward orthogonality. */
class BjorckTest {

  @Property(tries = 12, seed = "42")
  void reducesOrthogonalityError(
      @ForAll @IntRange(min = 4, max = 128) int n,
      @ForAll @net.jqwik.api.constraints.Scale(4) @DoubleRange(min = 1e-3, max = 3e-2, maxIncluded = true) double noise,
      @ForAll long seed) {
    Random r = new Random(seed);
    DMatrixRMaj v = Reference.orthogonal(n, r);
    for (int i = 0; i < v.getNumElements(); i++) {
      v.set(i, v.get(i) + noise * r.nextGaussian() / Math.sqrt(n));
    }
    double e0 = Reference.orthogonalityError(v);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray nd = Matrices.toNd(m, v);
      double e1 = Reference.orthogonalityError(Matrices.fromNd(Bjorck.orthonormalize(nd, 1)));
      double e4 = Reference.orthogonalityError(Matrices.fromNd(Bjorck.orthonormalize(nd, 4)));
      // One step squares the error (up to a constant); fp32 limits the floor to ~1e-6·n.
      assertTrue(e1 < 0.5 * e0, "one step: " + e0 + " -> " + e1);
      assertTrue(e4 <= Math.max(e1, 1e-5 * n), "four steps: " + e1 + " -> " + e4);
      assertTrue(e4 < 1e-5 * n, "four steps leave " + e4);
    }
  }

  @Test
  void zeroStepsCopiesAndOrthogonalIsAFixedPoint() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray q = Matrices.toNd(m, Reference.orthogonal(16, new Random(1)));
      assertArrayEquals(q.toFloatArray(), Bjorck.orthonormalize(q, 0).toFloatArray(), 0f);
      assertArrayEquals(q.toFloatArray(), Bjorck.orthonormalize(q, 3).toFloatArray(), 1e-5f);
      assertThrows(IllegalArgumentException.class, () -> Bjorck.orthonormalize(q, -1));
    }
  }
}
