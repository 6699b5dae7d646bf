package org.shampoo4j.shampoo.representation;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.function.Supplier;
import org.shampoo4j.linalg.SolverErrors;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;

/**
 * The checks every representation runs before it replaces its state, so that a failed solver or a
 * non-finite result never enters it. Each check reads one scalar from the device; representations
 * call them only in {@link Preconditioner#accumulate} and {@link
 * Preconditioner#refreshInverseRoot} (every T1 or T2 steps), never on an ordinary step.
 */
public final class UpdateGuard {
  private UpdateGuard() {}

  /**
   * Runs a solver step (eigh, QR, Cholesky, an inverse-root method), turning the failures a
   * numerical routine reports (the engine's errors, {@link ArithmeticException} such as {@code
   * NotPositiveDefiniteException}) into a {@link RejectedUpdateException}. Programming errors
   * ({@link IllegalArgumentException}, {@link IllegalStateException}) pass through.
   */
  public static <T> T solve(Kind kind, String label, String what, Supplier<T> solver) {
    try {
      return solver.get();
    } catch (EngineException | ArithmeticException e) {
      throw new RejectedUpdateException(
          kind, label, what + " failed: " + SolverErrors.oneLine(e), e);
    }
  }

  /**
   * Throws unless every element of every array is finite, with one host read for all of them:
   * the largest magnitude over the arrays, which is NaN or infinite exactly when some element is
   * (PyTorch's max propagates NaN).
   *
   * @throws RejectedUpdateException naming {@code what} if a value is not finite
   */
  public static void requireFinite(Kind kind, String label, String what, NDArray... arrays) {
    NDArray largest = null;
    for (NDArray a : arrays) {
      NDArray m = a.toType(DataType.FLOAT32, false).abs().max();
      largest = largest == null ? m : largest.maximum(m);
    }
    if (largest != null && !Float.isFinite(largest.getFloat())) {
      throw new RejectedUpdateException(kind, label, what + " holds NaN or an infinity", null);
    }
  }
}
