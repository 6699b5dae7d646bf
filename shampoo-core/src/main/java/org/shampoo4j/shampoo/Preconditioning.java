package org.shampoo4j.shampoo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.base.UpdateGate;

/**
 * The Shampoo direction of one preconditioned parameter on one device: through the fused kernels
 * ({@link BankedStep}) where that device has them, else one operation at a time ({@link
 * PerOperationStep}). Both give the same bits.
 */
final class Preconditioning {
  private final ShampooConfig config;
  private final DeviceLinalg linalg;
  private final BankedStep banked;
  private final PerOperationStep perOperation;

  Preconditioning(ShampooConfig config, DeviceLinalg linalg) {
    this.config = config;
    this.linalg = linalg;
    this.banked = new BankedStep(config);
    this.perOperation = new PerOperationStep(config);
  }

  BankedStep banked() {
    return banked;
  }

  PerOperationStep perOperation() {
    return perOperation;
  }

  /** The kernels of a device that holds state. */
  DeviceLinalg.Kernels kernels(Device device) {
    return linalg.get(device);
  }

  /** The direction of step {@code step} from {@code g}, which lives on the state's device. */
  NDArray direction(ParameterState s, NDArray g, int step, NDManager scratch, UpdateGate gate) {
    DeviceLinalg.Kernels la = linalg.get(g.getDevice());
    if (la.step() == null) {
      boolean[] refresh = refreshes(step, gate);
      return perOperation.direction(s, g, refresh[0], refresh[1], scratch);
    }
    return banked.direction(s, g, step, la, GateCheck.of(gate), scratch);
  }

  /**
   * Whether {@code device} has the fused kernels, so that a parameter's direction there can be
   * computed later, with other parameters' ({@link DirectionBatch}), after {@link #refreshDue}.
   */
  boolean fused(Device device) {
    DeviceLinalg.Kernels la = linalg.get(device);
    return la != null && la.step() != null;
  }

  /**
   * The refreshes (T1, T2) step {@code step} is due for, from {@code g}, on a device with the
   * fused kernels ({@link #fused}): {@link #direction} without the direction.
   */
  void refreshDue(ParameterState s, NDArray g, int step, UpdateGate gate) {
    banked.refreshDue(s, g, step, linalg.get(g.getDevice()), GateCheck.of(gate));
  }

  /** Whether step {@code step} of a preconditioned parameter refreshes statistics or roots. */
  boolean refreshesAt(ParameterState s, int step) {
    return s.layout != null
        && (step % config.statisticsInterval() == 0 || step % config.rootInterval() == 0);
  }

  /**
   * The refreshes of a whole step's parameters on one device with the fused kernels ({@link
   * #fused}), batched across parameters ({@link BankedStep#refreshAll}): {@link #refreshDue} of
   * each, with all gates read in one read.
   *
   * @param states preconditioned parameters' states
   * @param grads per state its gradient
   * @param steps per state its step
   * @param gates per state its gate
   */
  void refreshAll(List<ParameterState> states, List<NDArray> grads, List<Integer> steps,
      List<UpdateGate> gates) {
    List<GateCheck> checks = new ArrayList<>(gates.size());
    gates.forEach(g -> checks.add(GateCheck.of(g)));
    banked.refreshAll(states, grads, steps, linalg.get(grads.get(0).getDevice()), checks);
  }

  /**
   * Whether this step refreshes statistics (T1) or roots (T2), and may, on the paths without the
   * bank (per-operation and sharded per-block steps): a refresh cannot be selected on the device
   * like an update, so under a gate that is not open a refresh step reads the gate's flag first
   * (one read per parameter and refresh step) and refreshes nothing with a bad gradient. The
   * banked path folds that read into its refresh batches' ({@link GateCheck}).
   */
  boolean[] refreshes(int step, UpdateGate gate) {
    boolean stats = step % config.statisticsInterval() == 0;
    boolean roots = step % config.rootInterval() == 0;
    if ((stats || roots) && !gate.readNow()) {
      return new boolean[] {false, false};
    }
    return new boolean[] {stats, roots};
  }
}
