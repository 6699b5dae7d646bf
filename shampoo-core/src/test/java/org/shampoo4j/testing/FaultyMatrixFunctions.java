package org.shampoo4j.testing;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import java.util.Optional;
import org.shampoo4j.linalg.EigenPairs;
import org.shampoo4j.linalg.MatrixFunctions;

/**
 * Fault injection around real {@link MatrixFunctions}: while a {@link Fault} is switched on, the
 * solvers (eigh, QR, Cholesky) throw as libtorch does when it fails, or every function (the power
 * iteration too) or eigh alone returns its result filled with NaN. Counts the calls it spoiled. {@link #wider()}
 * is the delegate's, unspoiled: the float64 retry of a failed float32 eigh reaches real arithmetic.
 */
public final class FaultyMatrixFunctions implements MatrixFunctions, AutoCloseable {
  /** What the spoiled calls do. */
  public enum Fault {
    /** Work normally. */
    NONE,
    /** eigh, QR and Cholesky throw an {@link EngineException}; the power iteration works. */
    THROW,
    /** Every function returns NaN in place of its result. */
    NAN,
    /** Only eigh throws (for the float64 retry). */
    THROW_EIGH,
    /** Only eigh fails, returning NaN without throwing (for the float64 retry). */
    NAN_EIGH
  }

  private final MatrixFunctions delegate;
  private Fault fault = Fault.NONE;
  private int spoiledCalls;

  /** Wraps {@code delegate}, working normally until {@link #inject} is called. */
  public FaultyMatrixFunctions(MatrixFunctions delegate) {
    this.delegate = delegate;
  }

  /** From now on, every call does what {@code fault} says. */
  public void inject(Fault fault) {
    this.fault = fault;
  }

  /** Calls spoiled so far (thrown or NaN-filled). */
  public int spoiledCalls() {
    return spoiledCalls;
  }

  @Override
  public EigenPairs eigh(NDArray symmetric) {
    if (fault == Fault.THROW || fault == Fault.THROW_EIGH) {
      throw failure("eigh");
    }
    EigenPairs pairs = delegate.eigh(symmetric);
    if (fault != Fault.NAN && fault != Fault.NAN_EIGH) {
      return pairs;
    }
    spoiledCalls++;
    return new EigenPairs(pairs.values().mul(Float.NaN), pairs.vectors().mul(Float.NaN));
  }

  @Override
  public NDArray qr(NDArray a) {
    if (fault == Fault.THROW) {
      throw failure("qr");
    }
    return fault == Fault.NAN ? nan(delegate.qr(a)) : delegate.qr(a);
  }

  @Override
  public NDArray cholesky(NDArray spd) {
    if (fault == Fault.THROW) {
      throw failure("cholesky");
    }
    return fault == Fault.NAN ? nan(delegate.cholesky(spd)) : delegate.cholesky(spd);
  }

  @Override
  public NDArray maxEigenvalue(NDArray psd) {
    return fault == Fault.NAN ? nan(delegate.maxEigenvalue(psd)) : delegate.maxEigenvalue(psd);
  }

  @Override
  public Optional<MatrixFunctions> wider() {
    return delegate.wider();
  }

  @Override
  public void close() throws Exception {
    if (delegate instanceof AutoCloseable c) {
      c.close();
    }
  }

  private EngineException failure(String function) {
    spoiledCalls++;
    return new EngineException("injected failure of " + function + ": the algorithm failed to "
        + "converge (call " + spoiledCalls + ")");
  }

  private NDArray nan(NDArray result) {
    spoiledCalls++;
    return result.mul(Float.NaN);
  }
}
