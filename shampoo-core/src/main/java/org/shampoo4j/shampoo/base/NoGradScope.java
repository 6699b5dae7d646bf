package org.shampoo4j.shampoo.base;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Autograd off for the span of one optimizer update, then as it was. libtorch keeps the autograd
 * mode per thread and starts every thread with it on; DJL turns it off only on the thread that
 * loads the engine (and {@code GradientCollector.close()} restores whatever it found). An update
 * runs in-place operations on weights that require gradients, which libtorch refuses while autograd
 * is on, so a training step on any other thread (a thread pool, a benchmark harness) failed with
 * "a leaf Variable that requires grad is being used in an in-place operation". DJL's own
 * optimizers avoid it inside their native kernels; ours are tensor operations and need this.
 */
public final class NoGradScope implements AutoCloseable {
  private final boolean restore;

  private NoGradScope(boolean restore) {
    this.restore = restore;
  }

  /** Turns autograd off on this thread if {@code weight} is a PyTorch array and it was on. */
  public static NoGradScope enter(NDArray weight) {
    if (!(weight instanceof PtNDArray) || !JniUtils.isGradMode()) {
      return new NoGradScope(false);
    }
    JniUtils.setGradMode(false);
    return new NoGradScope(true);
  }

  /** Restores autograd if {@link #enter} turned it off. */
  @Override
  public void close() {
    if (restore) {
      JniUtils.setGradMode(true);
    }
  }
}
