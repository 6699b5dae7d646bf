package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether one parameter's update of this step may land, decided on the device: a 0-dimensional
 * boolean "gradient ok" flag that {@link GradientPreprocessor} computes under {@link
 * NonFinitePolicy#GUARDED} and reads later, once per step for all parameters. Optimizers write
 * every new weight and state value through {@link #select}, {@link #delta} or {@link #factor}, so
 * that with the flag false each stored array keeps its old bits; the host-side changes of the
 * update (step counters, state created on first use) register an undo action with {@link
 * #onRejected}, run when the flag is read false.
 *
 * <p>The {@link #open()} gate (every other policy) passes every value through unchanged and costs
 * nothing. Each formulation is bit-exact: with the flag true it returns the very value of the
 * ungated update ({@code where} picks it, {@code x − (+0) = x}, {@code x · 1 = x}); with the flag
 * false it keeps the old value whatever the new one holds (NaN and infinities included).
 */
public final class UpdateGate {
  private static final UpdateGate OPEN = new UpdateGate(null);

  private final NDArray ok;
  private final List<Runnable> undo = new ArrayList<>();

  private UpdateGate(NDArray ok) {
    this.ok = ok;
  }

  /** The gate that always lets the update through (no device flag). */
  public static UpdateGate open() {
    return OPEN;
  }

  /**
   * A gate on a device flag.
   *
   * @param ok a 0-dimensional boolean array; the caller keeps it alive while the gate is used
   * @throws IllegalArgumentException if {@code ok} is not a boolean scalar
   */
  public static UpdateGate of(NDArray ok) {
    if (ok.getDataType() != DataType.BOOLEAN || !ok.getShape().equals(new Shape())) {
      throw new IllegalArgumentException(
          "a gate flag is a 0-dimensional boolean array, got " + ok.getDataType() + " "
              + ok.getShape());
    }
    return new UpdateGate(ok);
  }

  /** Whether this gate always passes (no flag to apply). */
  public boolean isOpen() {
    return ok == null;
  }

  /** {@code fresh} where the flag is set, else {@code old} (broadcast); {@code fresh} if open. */
  public NDArray select(NDArray fresh, NDArray old) {
    if (ok == null) {
      return fresh;
    }
    return NDArrays.where(flagOn(fresh), fresh, old);
  }

  /**
   * A step to subtract from (or add to) a stored array: {@code d} where the flag is set, else +0,
   * which leaves every stored bit unchanged ({@code x − (+0) = x} for every x, −0 included).
   */
  public NDArray delta(NDArray d) {
    if (ok == null) {
      return d;
    }
    return NDArrays.where(flagOn(d), d, d.getManager().zeros(new Shape(), d.getDataType()));
  }

  /**
   * A scalar factor for {@code like}'s device: {@code value}, or 1 where the flag is clear ({@code
   * x · 1 = x} for every x).
   */
  public NDArray factor(NDArray like, float value) {
    NDArray v = DeviceScalars.of(like, value);
    return ok == null ? v : NDArrays.where(flagOn(v), v, DeviceScalars.of(like, 1f));
  }

  /**
   * The input of an update made safe to compute with: {@code x} where the flag is set, else zeros,
   * so that a NaN or infinity of a rejected gradient never reaches arithmetic whose intermediate
   * results could misbehave (quantizers' index lookups, solvers); {@code x} if open.
   */
  public NDArray sanitize(NDArray x) {
    return delta(x);
  }

  /**
   * Registers what to undo on the host if the flag turns out false (run in reverse order of
   * registration); ignored by the open gate.
   */
  public void onRejected(Runnable action) {
    if (ok != null) {
      synchronized (undo) {
        undo.add(action);
      }
    }
  }

  /**
   * Reads the flag to the host now (one device-to-host read; none for the open gate). For the
   * rare steps that cannot be gated on the device, such as Shampoo's preconditioner refresh.
   */
  public boolean readNow() {
    return ok == null || ok.getBoolean();
  }

  /** The flag (null for the open gate). */
  NDArray flag() {
    return ok;
  }

  /** Runs the registered undo actions, last first, and forgets them. */
  void rollBack() {
    List<Runnable> actions;
    synchronized (undo) {
      actions = new ArrayList<>(undo);
      undo.clear();
    }
    for (int i = actions.size() - 1; i >= 0; i--) {
      actions.get(i).run();
    }
  }

  /**
   * The flag on {@code like}'s device and broadcast to its shape (DJL's {@code where} wants the
   * condition in the shape of the first operand; PyTorch's expand makes a view, not a copy).
   */
  private NDArray flagOn(NDArray like) {
    NDArray flag = ok;
    if (!ok.getDevice().equals(like.getDevice())) {
      flag = ok.toDevice(like.getDevice(), false);
      flag.attach(like.getManager());
    }
    if (!flag.getShape().equals(like.getShape())) {
      flag = flag.broadcast(like.getShape());
      flag.attach(like.getManager());
    }
    return flag;
  }
}
