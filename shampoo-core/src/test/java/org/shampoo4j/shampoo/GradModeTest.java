package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;

/**
 * Updates on a thread whose autograd mode is on (libtorch's default for every thread but the one
 * that loaded DJL's engine): the in-place weight update must work there, and the mode is left as
 * it was.
 */
class GradModeTest {

  @Test
  void updatesWorkOnAThreadWithAutogradOnAndLeaveTheModeAsItWas() throws InterruptedException {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread worker = new Thread(() -> {
      try (NDManager m = NDManager.newBaseManager();
          ShampooOptimizer shampoo = ShampooOptimizer.builder()
              .config(ShampooConfig.builder().statisticsInterval(1).rootInterval(1).build())
              .representation(new FullMatrixRepresentation()).build();
          BaseOptimizerAdapter sgd = BaseOptimizerAdapter.builder()
              .baseOptimizer(SgdMomentum.builder().build()).build()) {
        JniUtils.setGradMode(true);
        NDArray w = m.ones(new Shape(4, 3));
        w.setRequiresGradient(true);
        NDArray b = m.ones(new Shape(3));
        b.setRequiresGradient(true);
        shampoo.update("w", w, m.ones(new Shape(4, 3)));
        sgd.update("b", b, m.ones(new Shape(3)));
        assertNotEquals(1f, w.toFloatArray()[0]);
        assertNotEquals(1f, b.toFloatArray()[0]);
        assertTrue(JniUtils.isGradMode(), "autograd mode restored");
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    worker.start();
    worker.join();
    assertNull(failure.get(), () -> String.valueOf(failure.get()));
  }
}
