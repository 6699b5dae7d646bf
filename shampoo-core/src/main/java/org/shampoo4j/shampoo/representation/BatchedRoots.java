package org.shampoo4j.shampoo.representation;

import java.util.List;
import org.shampoo4j.shampoo.base.GateCheck;

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
  default List<RejectedUpdateException> refresh(List<Preconditioner> members) {
    return refresh(members, GateCheck.open());
  }

  /**
   * {@link #refresh(List)} under a step's gate check: while the check is pending, the gate's flag
   * is read together with the batch's finiteness flags (one read), and if it turns out rejected
   * no member is changed (the returned outcomes are then all {@code null} and mean nothing; the
   * caller consults the check). A member refreshed alone reads the check first.
   */
  List<RejectedUpdateException> refresh(List<Preconditioner> members, GateCheck check);
}
