package org.shampoo4j.shampoo.bank;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ObjIntConsumer;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;

/**
 * The member handling that the batches of the representations share: checking that every member
 * is of the batch's preconditioner type and names that batch, and installing each member's new
 * arrays if finite or rejecting it.
 */
public final class BatchMembers {
  private BatchMembers() {}

  /**
   * Checks that there is one Gram matrix per member.
   *
   * @throws IllegalArgumentException if the lists differ in length
   */
  public static void requireOneGramEach(List<?> members, List<?> grams) {
    if (members.size() != grams.size()) {
      throw new IllegalArgumentException("need one gram per member, got " + members.size()
          + " members and " + grams.size() + " grams");
    }
  }

  /** The outcome of a batch that installed nothing and rejected nothing (a closed gate). */
  public static List<RejectedUpdateException> noneInstalled(int members) {
    return Arrays.asList(new RejectedUpdateException[members]);
  }

  /**
   * The members as {@code type}, each checked and then visited in order.
   *
   * @param members the batch's members
   * @param type the preconditioner type of the batch
   * @param batch the batch itself
   * @param batchOf a member's batch, as it names it
   * @param visit called with each member and its index right after its check
   * @throws IllegalArgumentException if a member is not of {@code type} or not of {@code batch}
   */
  public static <P extends Preconditioner> List<P> of(List<Preconditioner> members,
      Class<P> type, Object batch, Function<P, Optional<?>> batchOf, ObjIntConsumer<P> visit) {
    List<P> out = new ArrayList<>(members.size());
    for (int i = 0; i < members.size(); i++) {
      Preconditioner member = members.get(i);
      if (!type.isInstance(member)
          || !batch.equals(batchOf.apply(type.cast(member)).orElse(null))) {
        throw new IllegalArgumentException("member " + i + " is not of this batch");
      }
      P p = type.cast(member);
      visit.accept(p, i);
      out.add(p);
    }
    return out;
  }

  /**
   * Per member, installs its {@code perMember} new arrays if {@code finite}, else closes them and
   * rejects it.
   *
   * @param members the members, in the arrays' order
   * @param arrays {@code perMember} new arrays per member
   * @param perMember how many arrays a member has
   * @param finite per member, whether its new arrays are finite
   * @param install stores a member's new arrays
   * @param reject the rejection of a member whose arrays are not finite
   * @return per member, {@code null} if installed, else its rejection
   */
  public static <P> List<RejectedUpdateException> installOrReject(List<P> members,
      List<NDArray> arrays, int perMember, boolean[] finite, BiConsumer<P, List<NDArray>> install,
      Function<P, RejectedUpdateException> reject) {
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    for (int i = 0; i < members.size(); i++) {
      P p = members.get(i);
      List<NDArray> parts = arrays.subList(perMember * i, perMember * i + perMember);
      if (finite[i]) {
        install.accept(p, parts);
        out.add(null);
      } else {
        parts.forEach(NDArray::close);
        out.add(reject.apply(p));
      }
    }
    return out;
  }

  /**
   * Per member of a roots batch, in this order of precedence: refreshes it alone (closing its new
   * arrays) if its float32 eigenpairs were not finite and the spec retries in float64, installs
   * its new arrays if the root is finite, else closes them and rejects it.
   *
   * @param members the members, in the roots' order
   * @param roots {@code perMember} new arrays per member and the flags
   * @param perMember how many arrays a member has
   * @param retriesInFloat64 whether a member with non-finite eigenpairs is refreshed alone
   * @param install stores a member's new root arrays
   * @param reject the rejection of a member whose root is not finite
   * @return per member, {@code null} if installed, else its rejection
   */
  public static <P extends Preconditioner> List<RejectedUpdateException> installRoots(
      List<P> members, BankKernels.Roots roots, int perMember, boolean retriesInFloat64,
      BiConsumer<P, List<NDArray>> install, Function<P, RejectedUpdateException> reject) {
    boolean[] finite = roots.finite();
    boolean[] solved = roots.eigenpairsFinite();
    List<RejectedUpdateException> out = new ArrayList<>(members.size());
    for (int i = 0; i < members.size(); i++) {
      P p = members.get(i);
      List<NDArray> parts = roots.arrays().subList(perMember * i, perMember * i + perMember);
      if (!solved[i] && retriesInFloat64) {
        parts.forEach(NDArray::close);
        out.add(RootUpdates.alone(p));
      } else if (finite[i]) {
        install.accept(p, parts);
        out.add(null);
      } else {
        parts.forEach(NDArray::close);
        out.add(reject.apply(p));
      }
    }
    return out;
  }
}
