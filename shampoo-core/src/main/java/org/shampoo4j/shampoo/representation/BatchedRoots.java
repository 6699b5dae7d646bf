package org.shampoo4j.shampoo.representation;

import java.util.List;

/**
 * Refreshes the inverse roots of many preconditioners of one representation at once ({@link
 * Preconditioner#refreshInverseRoot} of all blocks of a parameter in a few device calls).
 * Preconditioners whose {@link Preconditioner#batchedRoots} return equal instances may be
 * refreshed together; each member ends exactly as its own {@code refreshInverseRoot} would leave
 * it, including a rejected refresh keeping its previous root.
 */
public interface BatchedRoots {
  /**
   * Refreshes every member's inverse root.
   *
   * @param members preconditioners whose {@code batchedRoots()} equal this
   * @return per member, {@code null} if its new root was stored, else the rejection (its
   *     previous root was kept)
   */
  List<RejectedUpdateException> refresh(List<Preconditioner> members);
}
