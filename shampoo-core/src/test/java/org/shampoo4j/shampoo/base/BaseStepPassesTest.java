package org.shampoo4j.shampoo.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fused base step's flat passes: cut where the dtype changes and at the element limit. */
class BaseStepPassesTest {
  @Test
  void passesBreakAtDtypeChangesAndTheElementLimit() {
    try (NDManager m = NDManager.newBaseManager()) {
      long half = BaseStepKernels.PASS_ELEMENTS / 2;
      NDArray small = m.zeros(new Shape(3, 4));
      NDArray big = m.zeros(new Shape(half + 1));
      NDArray huge = m.zeros(new Shape(BaseStepKernels.PASS_ELEMENTS + 5));
      NDArray wide = m.zeros(new Shape(7), DataType.FLOAT64);
      // small+big fit; a second big would pass the limit; huge stands alone; the float64 weight
      // starts a pass of its own, and the float32 after it another.
      List<NDArray> weights = List.of(small, big, big, huge, wide, small);
      assertArrayEquals(new long[] {0, 2, 3, 4, 5, 6}, BaseStepKernels.runs(weights));
      assertArrayEquals(new long[] {0, 1}, BaseStepKernels.runs(List.of(small)));
      assertArrayEquals(new long[] {0}, BaseStepKernels.runs(List.of()));
    }
  }
}
