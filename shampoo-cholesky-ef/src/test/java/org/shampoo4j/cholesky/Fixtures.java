package org.shampoo4j.cholesky;

import ai.djl.ndarray.NDManager;
import org.shampoo4j.linalg.EighInverseRoot;
import org.shampoo4j.linalg.MatrixFunctions;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.representation.PreconditionerContext;

/** Contexts and preconditioners for the tests. */
final class Fixtures {
  private Fixtures() {}

  /** The paper's map. */
  static final QuantizationMap LINEAR2 = new Linear2Map();

  /**
   * A context with the documented defaults (docs/algorithms.md) (β 0.95, eps 1e-6, p 4, 4 bits, block 64), an eigh root, and the
   * given smallest quantized size.
   */
  static PreconditionerContext.Builder context(
      NDManager manager, MatrixFunctions linalg, long minQuantizedElements) {
    return PreconditionerContext.builder()
        .label("test.L")
        .linalg(linalg)
        .rootMethod(new EighInverseRoot(linalg))
        .manager(manager)
        .minQuantizedElements(minQuantizedElements);
  }

  /** A preconditioner of the representation under the given settings. */
  static CholeskyEfPreconditioner create(
      int order, PreconditionerContext context, CholeskyEfConfig config) {
    return (CholeskyEfPreconditioner)
        new CholeskyEfRepresentation(LINEAR2, config).create(order, context);
  }
}
