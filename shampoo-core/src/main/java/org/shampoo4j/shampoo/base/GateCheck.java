package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * The host's question "may this step's preconditioner refresh land?" about one {@link UpdateGate},
 * answered by at most one device-to-host read. A refresh cannot be selected on the device like an
 * update, so under a closed-able gate its result must be known before anything is installed; a
 * batched refresh reads its own finiteness flags anyway, and {@link #readWith} brings the gate's
 * flag along in that same read. Once read, the answer is remembered: later batches and the root
 * refresh of the same step ask without another read.
 *
 * <p>One check belongs to one parameter's step and is used by one thread.
 */
public final class GateCheck {
  private final NDArray flag;
  private Boolean passed;

  private GateCheck(NDArray flag) {
    this.flag = flag;
  }

  /** A check that passes without reading (the open gate). */
  public static GateCheck open() {
    return new GateCheck(null);
  }

  /** A check of {@code gate}'s flag, not yet read (passes at once if the gate is open). */
  public static GateCheck of(UpdateGate gate) {
    return new GateCheck(gate.flag());
  }

  /** Whether the answer is still on the device (a read is needed to know it). */
  public boolean isPending() {
    return flag != null && passed == null;
  }

  /** Whether the answer is known and says the step was rejected; never reads. */
  public boolean isRejected() {
    return passed != null && !passed;
  }

  /** Whether the refresh may land: reads the gate's flag now if still pending (one read). */
  public boolean passes() {
    if (isPending()) {
      passed = flag.getBoolean();
    }
    return flag == null || passed;
  }

  /**
   * Reads {@code flags} to the host (flattened, row-major), taking the gate's flag along in the
   * same read while the check is pending: one device-to-host read either way.
   *
   * @param flags a boolean array of the refresh's own finiteness flags
   * @return {@code flags} as read, without the gate's flag
   */
  public boolean[] readWith(NDArray flags) {
    if (!isPending()) {
      return flags.toBooleanArray();
    }
    NDArray moved = flag.toDevice(flags.getDevice(), false);
    NDArray gate = moved.reshape(1);
    NDArray flat = flags.flatten();
    NDArray both = NDArrays.concat(new NDList(gate, flat));
    boolean[] read;
    try {
      read = both.toBooleanArray();
    } finally {
      both.close();
      flat.close();
      gate.close();
      if (moved != flag) {
        moved.close();
      }
    }
    passed = read[0];
    boolean[] out = new boolean[read.length - 1];
    System.arraycopy(read, 1, out, 0, out.length);
    return out;
  }
}
