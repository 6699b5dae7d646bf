package org.shampoo4j.shampoo.representation;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.shampoo4j.shampoo.base.GateCheck;

/**
 * Folds Gram matrices into many preconditioners of one representation at once: the statistic
 * update ({@link Preconditioner#accumulate}) of all blocks of a parameter in a few device calls
 * instead of a few per block. Preconditioners whose {@link Preconditioner#batchedStatistics}
 * return equal instances may be updated together; each member ends exactly as its own {@code
 * accumulate} would leave it, including a rejected update keeping its previous state.
 */
public interface BatchedStatistics {
  /**
   * Folds {@code grams.get(i)} into {@code members.get(i)} for every i.
   *
   * @param members preconditioners whose {@code batchedStatistics()} equal this
   * @param grams one symmetric PSD Gram matrix per member, of its order, on its device
   * @return per member, {@code null} if its new statistic was stored, else the rejection (its
   *     previous state was kept)
   * @throws IllegalArgumentException if the lists differ in length or a gram has the wrong shape
   */
  default List<RejectedUpdateException> accumulate(List<Preconditioner> members,
      List<NDArray> grams) {
    return accumulate(members, grams, GateCheck.open());
  }

  /**
   * {@link #accumulate(List, List)} under a step's gate check: while the check is pending, the
   * gate's flag is read together with the batch's finiteness flags (one read), and if it turns
   * out rejected no member is changed (the returned outcomes are then all {@code null} and mean
   * nothing; the caller consults the check).
   */
  List<RejectedUpdateException> accumulate(
      List<Preconditioner> members, List<NDArray> grams, GateCheck check);
}
