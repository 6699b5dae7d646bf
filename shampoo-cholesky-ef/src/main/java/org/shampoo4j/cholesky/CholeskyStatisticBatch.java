package org.shampoo4j.cholesky;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.bank.BatchMembers;
import org.shampoo4j.shampoo.bank.PackedFactor;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.BatchedStatistics;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;

/**
 * {@link CholeskyEfPreconditioner#accumulate} of many members (any orders and forms) in one call
 * into the bank module ({@link BankKernels#accumulateCholesky}: decode, {@code L}, λmax, the
 * first Cholesky attempt, re-encoding with error feedback, operator for operator the per-member
 * path, so bit for bit its factor and error state), with one host read of all members' flags
 * instead of two per member (the solver's status and the factor's finiteness). A member whose
 * first attempt failed (not positive definite, or not finite) is then updated alone by its own
 * {@code accumulate}, which retries with a growing ridge and, failing, keeps its state and
 * counts the rejection, exactly as without the batch. If the call itself fails, nothing was
 * changed and every member is updated alone.
 *
 * @param kernels the bank kernels of the members' device
 * @param quantization the members' quantization spec
 * @param powerIterations power iterations of the members' λmax estimate
 * @param beta the EMA factor
 * @param epsilon the relative ridge
 * @param betaE the error state's EMA factor
 */
record CholeskyStatisticBatch(BankKernels kernels, QuantizationSpec quantization,
    int powerIterations, float beta, float epsilon, float betaE) implements BatchedStatistics {

  @Override
  public List<RejectedUpdateException> accumulate(
      List<Preconditioner> members, List<NDArray> grams, GateCheck check) {
    BatchMembers.requireOneGramEach(members, grams);
    if (members.isEmpty()) {
      return new ArrayList<>();
    }
    List<PackedFactor> factors = new ArrayList<>(members.size());
    List<CholeskyEfPreconditioner> batch = BatchMembers.of(members,
        CholeskyEfPreconditioner.class, this, CholeskyEfPreconditioner::batchedStatistics,
        (p, i) -> {
          p.requireGramForBatch(grams.get(i));
          factors.add(p.factorForBatch());
        });
    try (NDManager scope = batch.get(0).stateForBatch().newSubManager()) {
      BankKernels.Updated updated;
      try {
        updated = kernels.accumulateCholesky(factors, grams, quantization, powerIterations,
            beta, epsilon, betaE, check);
      } catch (EngineException e) {
        if (!check.passes()) {
          return BatchMembers.noneInstalled(members.size());
        }
        return alone(members, grams, new boolean[members.size()]);
      }
      if (check.isRejected()) {
        // The gate was bad: nothing installed.
        return BatchMembers.noneInstalled(members.size());
      }
      // The new buffers stay in the scope until installed (moved to the member's state).
      updated.arrays().forEach(a -> a.attach(scope));
      boolean[] factored = updated.finite();
      for (int i = 0; i < batch.size(); i++) {
        if (factored[i]) {
          batch.get(i).installFactorForBatch(updated.arrays().subList(5 * i, 5 * i + 5));
        }
      }
      return alone(members, grams, factored);
    }
  }

  /**
   * Updates each member not marked done by its own {@code accumulate}: its outcome, or {@code
   * null} for members done or updated.
   */
  private static List<RejectedUpdateException> alone(
      List<Preconditioner> members, List<NDArray> grams, boolean[] done) {
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    for (int i = 0; i < members.size(); i++) {
      RejectedUpdateException outcome = null;
      if (!done[i]) {
        try {
          members.get(i).accumulate(grams.get(i));
        } catch (RejectedUpdateException e) {
          outcome = e;
        }
      }
      out.add(outcome);
    }
    return out;
  }
}
