package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.testing.Matrices;

/**
 * A preconditioner quantizes on the context's {@link CodeKernels} (as the optimizer gives them)
 * or, when the context has none, on kernels it loads and closes itself: both store the same
 * factor, error state and root bit for bit, and closing the preconditioner leaves the context's
 * kernels usable.
 */
class CodeKernelsOwnershipTest {
  private static final int ORDER = 70;

  @Test
  void contextKernelsAndOwnKernelsStoreTheSameState() {
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions linalg = new TorchScriptMatrixFunctions(m);
        CodeKernels kernels = new CodeKernels(m)) {
      PreconditionerContext withKernels = Fixtures.context(m, linalg, 0).codeKernels(kernels).build();
      PreconditionerContext without = Fixtures.context(m, linalg, 0).build();
      CholeskyEfConfig[] configs = {
        CholeskyEfConfig.defaults(),
        CholeskyEfConfig.builder().errorFeedback(false).build(),
        CholeskyEfConfig.builder().rootAsCholesky(true).build(),
      };
      for (CholeskyEfConfig config : configs) {
        Random random = new Random(7);
        try (CholeskyEfPreconditioner shared = Fixtures.create(ORDER, withKernels, config);
            CholeskyEfPreconditioner own = Fixtures.create(ORDER, without, config)) {
          for (int step = 0; step < 3; step++) {
            NDArray gram = Matrices.toNd(m, Host.gram(ORDER, 8, Host.ones(ORDER), random));
            shared.accumulate(gram);
            own.accumulate(gram);
            shared.refreshInverseRoot();
            own.refreshInverseRoot();
          }
          assertEquals(shared.saveState(), own.saveState(), "checkpointed state, " + config);
          assertArrayEquals(shared.inverseRoot(m).toFloatArray(),
              own.inverseRoot(m).toFloatArray(), "inverse root, " + config);
        }
        // The context's kernels are the caller's: still open after its preconditioner closed.
        NDArray codes = kernels.pack(m.create(new float[] {1, 2, 3}), 4);
        assertEquals(2, codes.size());
      }
    }
  }
}
