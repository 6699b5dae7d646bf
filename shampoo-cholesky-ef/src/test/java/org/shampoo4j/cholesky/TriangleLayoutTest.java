package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** {@link TriangleLayout}'s tensor gathers against plain loops over the same positions. */
class TriangleLayoutTest {

  @Property(tries = 30, seed = "42")
  void triangleAndOffDiagonalMatchPlainLoops(
      @ForAll @IntRange(min = 1, max = 70) int n, @ForAll long seed) {
    Random random = new Random(seed);
    float[] matrix = new float[n * n];
    for (int i = 0; i < matrix.length; i++) {
      matrix[i] = (float) random.nextGaussian();
    }
    int pairs = n * (n - 1) / 2;
    float[] lower = new float[pairs];
    float[] lowerMatrix = new float[n * n];
    float[] offDiagonal = new float[n * (n - 1)];
    float[] zeroDiagonal = matrix.clone();
    int t = 0;
    int s = 0;
    for (int i = 0; i < n; i++) {
      zeroDiagonal[i * n + i] = 0f;
      for (int j = 0; j < n; j++) {
        if (j < i) {
          lower[t++] = matrix[i * n + j];
          lowerMatrix[i * n + j] = matrix[i * n + j];
        }
        if (j != i) {
          offDiagonal[s++] = matrix[i * n + j];
        }
      }
    }
    TriangleLayout layout = new TriangleLayout(n);
    assertEquals(pairs, layout.pairs());
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(matrix).reshape(n, n);
      NDArray gathered = layout.strictLower(a);
      assertArrayEquals(lower, gathered.toFloatArray(), "strict lower, row-major");
      assertArrayEquals(lowerMatrix, layout.lowerMatrix(gathered).toFloatArray(), "put back");
      NDArray stream = layout.offDiagonalStream(a);
      assertArrayEquals(offDiagonal, stream.toFloatArray(), "off-diagonal stream");
      assertArrayEquals(zeroDiagonal, layout.fromOffDiagonalStream(stream).toFloatArray());
    }
  }

  @Test
  void rejectsWrongSizes() {
    TriangleLayout layout = new TriangleLayout(4);
    try (NDManager m = NDManager.newBaseManager()) {
      IllegalArgumentException e = assertThrows(
          IllegalArgumentException.class, () -> layout.lowerMatrix(m.zeros(new ai.djl.ndarray.types.Shape(5))));
      System.out.println("wrong triangle size: " + e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> layout.strictLower(m.zeros(new ai.djl.ndarray.types.Shape(3, 4))));
      assertThrows(IllegalArgumentException.class, () -> new TriangleLayout(0));
    }
  }

  /**
   * Every order an int allows either works or is refused with the limit named: up to 46340 the
   * counts are exact (long arithmetic; 46341² overflows an int), above it the constructor says
   * why, rather than building gathers over wrapped-around indices.
   */
  @Test
  void ordersAboveTheIntIndexLimitAreRefusedClearly() {
    TriangleLayout largest = new TriangleLayout(TriangleLayout.MAX_ORDER);
    assertEquals(46340L * 46339L / 2, largest.pairs());
    for (int order : new int[] {46341, 65536, 1 << 20, Integer.MAX_VALUE}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new TriangleLayout(order));
      assertTrue(e.getMessage().contains("up to 46340") && e.getMessage().contains("" + order),
          e.getMessage());
    }
  }
}
