package org.shampoo4j.shampoo.bank;

import java.util.ArrayList;
import java.util.List;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.BatchedRoots;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;

/**
 * The inverse-root refreshes of many preconditioners (all blocks of a parameter, both sides),
 * grouped so that members sharing a {@link BatchedRoots} are refreshed in one batch and the others
 * one at a time through {@link Preconditioner#refreshInverseRoot}. Every member ends as its own
 * refresh would leave it.
 */
public final class RootUpdates {
  private RootUpdates() {}

  /**
   * Refreshes every member's inverse root.
   *
   * @return per member, {@code null} if its new root was stored, else the rejection (its
   *     previous root was kept)
   */
  public static List<RejectedUpdateException> refresh(List<Preconditioner> members) {
    return refresh(members, GateCheck.open());
  }

  /**
   * {@link #refresh} under a step's gate check: the first batch reads the check together with
   * its own flags (one read); members refreshed alone go after the batches, and read the check
   * first only if no batch did. Once the check is known rejected, no member is changed and the
   * returned outcomes are all {@code null} (the caller consults the check).
   */
  public static List<RejectedUpdateException> refresh(
      List<Preconditioner> members, GateCheck check) {
    return BatchGrouping.run(members.size(), i -> members.get(i).batchedRoots(),
        (batch, index, c) -> batch.refresh(BatchGrouping.select(members, index), c),
        i -> members.get(i).refreshInverseRoot(), check);
  }

  /**
   * Refreshes each member through its own {@link Preconditioner#refreshInverseRoot}: the fallback
   * of a batch whose solver failed as a whole.
   *
   * @return per member, {@code null} if its new root was stored, else the rejection
   */
  public static List<RejectedUpdateException> oneByOne(List<Preconditioner> members) {
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    for (Preconditioner p : members) {
      out.add(alone(p));
    }
    return out;
  }

  /** One member's own refresh: {@code null} if stored, else the rejection. */
  public static RejectedUpdateException alone(Preconditioner member) {
    try {
      member.refreshInverseRoot();
      return null;
    } catch (RejectedUpdateException e) {
      return e;
    }
  }
}
