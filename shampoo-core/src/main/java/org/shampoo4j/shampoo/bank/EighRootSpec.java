package org.shampoo4j.shampoo.bank;

import java.util.Optional;
import org.shampoo4j.linalg.EighInverseRoot;
import org.shampoo4j.linalg.EighPrecision;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.shampoo.representation.PreconditionerContext;

/**
 * What the bank needs to compute a ridged eigh inverse root {@code (S + eps·λmax(S)·I)^(−1/p)}
 * exactly as a preconditioner of a context does one at a time: λmax by {@link
 * TorchScriptMatrixFunctions#maxEigenvalue}, the root by {@link EighInverseRoot} over {@link
 * TorchScriptMatrixFunctions#eigh}. Equal specs may share a batch.
 *
 * @param powerIterations power iterations of the λmax estimate
 * @param epsilon the relative ridge
 * @param relativeFloor the eigenvalue floor of {@link EighInverseRoot}, relative to λmax
 * @param rootExponent p of the inverse p-th root
 * @param precision the eigensolver's arithmetic; with float32 a failing solve is retried in
 *     float64 by the per-block path
 */
public record EighRootSpec(int powerIterations, float epsilon, double relativeFloor,
    int rootExponent, EighPrecision precision) {

  /**
   * The spec of a context whose root method is {@link EighInverseRoot} over {@link
   * TorchScriptMatrixFunctions} and whose λmax comes from {@link TorchScriptMatrixFunctions};
   * empty for any other root method or matrix functions (those refresh one at a time).
   */
  public static Optional<EighRootSpec> of(PreconditionerContext context) {
    if (context.rootMethod() instanceof EighInverseRoot eigh
        && eigh.functions() instanceof TorchScriptMatrixFunctions solver
        && context.linalg() instanceof TorchScriptMatrixFunctions lambda) {
      return Optional.of(new EighRootSpec(lambda.powerIterations(), context.epsilon(),
          eigh.relativeFloor(), context.rootExponent(), solver.eighPrecision()));
    }
    return Optional.empty();
  }

  /** Whether the per-block path retries a non-finite eigensolve in float64. */
  public boolean retriesInFloat64() {
    return precision == EighPrecision.FLOAT32;
  }
}
