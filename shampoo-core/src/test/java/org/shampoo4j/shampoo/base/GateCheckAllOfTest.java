package org.shampoo4j.shampoo.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * {@link GateCheck#allOf}, the check of a whole step's refreshing parameters: one read answers
 * every part (each part's own check then knows its answer without reading), the whole passes
 * exactly when every part does, an open gate counts as passed, a part answered before is not read
 * again, and the refresh's own flags come back unchanged.
 */
class GateCheckAllOfTest {

  @Property(tries = 20, seed = "31")
  void oneReadAnswersEveryPart(
      @ForAll @Size(min = 1, max = 6) List<Boolean> flags,
      @ForAll @IntRange(min = -1, max = 5) int answeredFirst,
      @ForAll @Size(min = 0, max = 4) List<Boolean> own) {
    try (NDManager m = NDManager.newBaseManager()) {
      List<GateCheck> parts = new ArrayList<>();
      for (boolean f : flags) {
        parts.add(GateCheck.of(UpdateGate.of(m.create(f))));
      }
      parts.add(GateCheck.of(UpdateGate.open()));
      int first = answeredFirst < flags.size() ? answeredFirst : -1;
      if (first >= 0) {
        assertEquals(flags.get(first), parts.get(first).passes());
      }
      GateCheck all = GateCheck.allOf(parts);
      boolean expected = !flags.contains(false);
      boolean anyPending = flags.size() > (first >= 0 ? 1 : 0);
      assertEquals(anyPending, all.isPending());
      boolean[] ownFlags = new boolean[own.size()];
      for (int i = 0; i < ownFlags.length; i++) {
        ownFlags[i] = own.get(i);
      }
      if (ownFlags.length > 0) {
        NDArray refresh = m.create(ownFlags);
        assertArrayEquals(ownFlags, all.readWith(refresh));
      } else {
        assertEquals(expected, all.passes());
      }
      assertFalse(all.isPending());
      assertEquals(!expected, all.isRejected());
      for (int i = 0; i < flags.size(); i++) {
        assertFalse(parts.get(i).isPending(), "part " + i);
        assertEquals(!flags.get(i), parts.get(i).isRejected(), "part " + i);
      }
      assertTrue(parts.get(flags.size()).passes(), "the open gate");
    }
  }
}
