package org.shampoo4j.cholesky;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.linalg.EigenPairs;
import org.shampoo4j.linalg.MatrixFunctions;
import org.shampoo4j.linalg.NotPositiveDefiniteException;

/**
 * Test double around real {@link MatrixFunctions}: records every Cholesky factor it returns (as
 * host floats) and the matrices it was asked to factor, and can be told to fail the next k
 * factorisations as if they were not positive definite.
 */
final class ScriptedMatrixFunctions implements MatrixFunctions {
  private final MatrixFunctions delegate;
  private final List<float[]> factors = new ArrayList<>();
  private final List<float[]> inputs = new ArrayList<>();
  private int failuresLeft;
  private int calls;

  ScriptedMatrixFunctions(MatrixFunctions delegate) {
    this.delegate = delegate;
  }

  /** The next {@code count} Cholesky calls throw {@link NotPositiveDefiniteException}. */
  void failNext(int count) {
    failuresLeft = count;
  }

  /** Cholesky calls so far (failed ones included). */
  int calls() {
    return calls;
  }

  /** Factors returned so far, in order. */
  List<float[]> factors() {
    return factors;
  }

  /** Matrices passed to Cholesky so far (ridge included), in order. */
  List<float[]> inputs() {
    return inputs;
  }

  @Override
  public EigenPairs eigh(NDArray symmetric) {
    return delegate.eigh(symmetric);
  }

  @Override
  public NDArray qr(NDArray a) {
    return delegate.qr(a);
  }

  @Override
  public NDArray cholesky(NDArray spd) {
    calls++;
    inputs.add(spd.toFloatArray());
    if (failuresLeft > 0) {
      failuresLeft--;
      throw new NotPositiveDefiniteException("scripted failure " + calls);
    }
    NDArray c = delegate.cholesky(spd);
    factors.add(c.toFloatArray());
    return c;
  }

  @Override
  public NDArray maxEigenvalue(NDArray psd) {
    return delegate.maxEigenvalue(psd);
  }
}
