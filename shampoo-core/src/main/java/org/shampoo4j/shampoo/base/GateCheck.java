package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's question "may this step's preconditioner refresh land?" about one {@link UpdateGate}
 * or several, answered by at most one device-to-host read. A refresh cannot be selected on the
 * device like an update, so under a closed-able gate its result must be known before anything is
 * installed; a batched refresh reads its own finiteness flags anyway, and {@link #readWith} brings
 * the gates' flags along in that same read. Once read, each answer is remembered: later batches
 * and the root refresh of the same step ask without another read.
 *
 * <p>A check of several gates ({@link #allOf}, a whole step's refreshing parameters) passes when
 * every gate does; reading it answers each part too, so after a rejection every parameter's own
 * check knows its answer without a read. Checks are used by one thread.
 */
public final class GateCheck {
  /** One gate's flag and, once read, its answer; shared by every check it is part of. */
  private static final class Part {
    final NDArray flag;
    Boolean passed;

    Part(NDArray flag) {
      this.flag = flag;
    }

    boolean pending() {
      return passed == null;
    }
  }

  private final List<Part> parts;

  private GateCheck(List<Part> parts) {
    this.parts = parts;
  }

  /** A check that passes without reading (the open gate). */
  public static GateCheck open() {
    return new GateCheck(List.of());
  }

  /** A check of {@code gate}'s flag, not yet read (passes at once if the gate is open). */
  public static GateCheck of(UpdateGate gate) {
    NDArray flag = gate.flag();
    return new GateCheck(flag == null ? List.of() : List.of(new Part(flag)));
  }

  /**
   * A check that passes when every one of {@code checks} does. Reading it answers each of them
   * (one read for all), and an answer one of them already has is not read again.
   */
  public static GateCheck allOf(List<GateCheck> checks) {
    List<Part> all = new ArrayList<>();
    for (GateCheck c : checks) {
      all.addAll(c.parts);
    }
    return new GateCheck(List.copyOf(all));
  }

  /** Whether an answer is still on the device (a read is needed to know it). */
  public boolean isPending() {
    for (Part p : parts) {
      if (p.pending()) {
        return true;
      }
    }
    return false;
  }

  /** Whether an answer is known and says a step was rejected; never reads. */
  public boolean isRejected() {
    for (Part p : parts) {
      if (Boolean.FALSE.equals(p.passed)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the refresh may land: reads the pending flags now, all in one read. */
  public boolean passes() {
    List<Part> pending = pending();
    if (pending.size() == 1) {
      pending.get(0).passed = pending.get(0).flag.getBoolean();
    } else if (!pending.isEmpty()) {
      readWith(null);
    }
    return !isRejected();
  }

  /**
   * Reads {@code flags} to the host (flattened, row-major), taking the pending gates' flags along
   * in the same read: one device-to-host read either way.
   *
   * @param flags a boolean array of the refresh's own finiteness flags, or null for none
   * @return {@code flags} as read, without the gates' flags (empty for null)
   */
  public boolean[] readWith(NDArray flags) {
    List<Part> pending = pending();
    if (pending.isEmpty()) {
      return flags == null ? new boolean[0] : flags.toBooleanArray();
    }
    NDList gates = new NDList();
    List<NDArray> made = new ArrayList<>();
    try {
      for (Part p : pending) {
        NDArray moved = flags == null ? p.flag : p.flag.toDevice(flags.getDevice(), false);
        if (moved != p.flag) {
          made.add(moved);
        }
        gates.add(moved);
      }
      // The 0-dimensional flags as one vector: one operation whatever their number.
      NDArray stacked = NDArrays.stack(gates);
      made.add(stacked);
      NDList pieces = new NDList(stacked);
      if (flags != null) {
        NDArray flat = flags.flatten();
        made.add(flat);
        pieces.add(flat);
      }
      NDArray both = pieces.size() == 1 ? stacked : NDArrays.concat(pieces);
      if (both != stacked) {
        made.add(both);
      }
      boolean[] read = both.toBooleanArray();
      for (int i = 0; i < pending.size(); i++) {
        pending.get(i).passed = read[i];
      }
      boolean[] out = new boolean[read.length - pending.size()];
      System.arraycopy(read, pending.size(), out, 0, out.length);
      return out;
    } finally {
      made.forEach(NDArray::close);
    }
  }

  private List<Part> pending() {
    List<Part> out = new ArrayList<>(parts.size());
    for (Part p : parts) {
      if (p.pending()) {
        out.add(p);
      }
    }
    return out;
  }
}
