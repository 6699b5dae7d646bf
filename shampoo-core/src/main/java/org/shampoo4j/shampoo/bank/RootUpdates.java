package org.shampoo4j.shampoo.bank;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    RejectedUpdateException[] out = new RejectedUpdateException[members.size()];
    List<Integer> alone = new ArrayList<>();
    Map<BatchedRoots, List<Integer>> batches = new LinkedHashMap<>();
    for (int i = 0; i < members.size(); i++) {
      Optional<BatchedRoots> batch = members.get(i).batchedRoots();
      if (batch.isPresent()) {
        batches.computeIfAbsent(batch.get(), b -> new ArrayList<>()).add(i);
      } else {
        alone.add(i);
      }
    }
    for (Map.Entry<BatchedRoots, List<Integer>> e : batches.entrySet()) {
      List<Integer> index = e.getValue();
      List<Preconditioner> batchMembers = new ArrayList<>(index.size());
      for (int i : index) {
        batchMembers.add(members.get(i));
      }
      List<RejectedUpdateException> result = e.getKey().refresh(batchMembers, check);
      if (check.isRejected()) {
        return Arrays.asList(new RejectedUpdateException[members.size()]);
      }
      for (int j = 0; j < index.size(); j++) {
        out[index.get(j)] = result.get(j);
      }
    }
    // Members apart from any batch go last: by now a batch has read the check, unless there was
    // none, and then it is read here (one read) before anything is changed.
    if (!alone.isEmpty() && !check.passes()) {
      return Arrays.asList(new RejectedUpdateException[members.size()]);
    }
    for (int i : alone) {
      try {
        members.get(i).refreshInverseRoot();
      } catch (RejectedUpdateException e) {
        out[i] = e;
      }
    }
    return Arrays.asList(out);
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
