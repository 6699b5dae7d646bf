package org.shampoo4j.shampoo.representation;

import ai.djl.ndarray.NDArray;
import java.util.List;

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
  List<RejectedUpdateException> accumulate(List<Preconditioner> members, List<NDArray> grams);
}
