package org.shampoo4j.shampoo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the blocks of several parameters are stacked for one call of {@link
 * StepKernels#directions}: every block gets a global number (the parameters' blocks in order,
 * each parameter's in row-major order), and blocks of one shape that all have roots, or all do
 * not, form a class that the module multiplies as one batch. Also the index arrays per-tensor
 * grafting needs to add each parameter's per-block norms. An immutable value; it depends only on
 * the layouts and on which blocks have roots, so a training step reuses the previous step's plan.
 */
final class DirectionPlan {
  private final long[] dims;
  private final long[] blocks;
  private final long[] classOffsets;
  private final long[] classMembers;
  private final boolean[] classRooted;
  private final long[][] memberParams;
  private final long[] paramBlocks;
  private final int maxBlocks;
  private final List<BlockLayout> layouts;
  private final List<boolean[]> hasRoot;

  /**
   * The plan of parameters with these layouts, in this order.
   *
   * @param hasRoot per parameter, per block (row-major), whether the block has its roots
   * @throws IllegalArgumentException if the lists differ in length, a flag array does not match
   *     its layout's block count, or a parameter has no block with roots
   */
  DirectionPlan(List<BlockLayout> layouts, List<boolean[]> hasRoot) {
    if (layouts.size() != hasRoot.size() || layouts.isEmpty()) {
      throw new IllegalArgumentException("need one root-flag array per layout, and at least one;"
          + " got " + layouts.size() + " layouts and " + hasRoot.size() + " flag arrays");
    }
    this.layouts = List.copyOf(layouts);
    List<boolean[]> flags = new ArrayList<>(hasRoot.size());
    int total = 0;
    int most = 0;
    for (int p = 0; p < layouts.size(); p++) {
      boolean[] f = hasRoot.get(p);
      BlockLayout layout = layouts.get(p);
      if (f.length != layout.blockCount()) {
        throw new IllegalArgumentException("parameter " + p + " has " + layout.blockCount()
            + " blocks but " + f.length + " root flags");
      }
      boolean any = false;
      for (boolean b : f) {
        any |= b;
      }
      if (!any) {
        throw new IllegalArgumentException("parameter " + p + " has no block with roots: its"
            + " direction is its gradient and it does not belong in a plan");
      }
      flags.add(f.clone());
      total += f.length;
      most = Math.max(most, f.length);
    }
    this.hasRoot = List.copyOf(flags);
    this.maxBlocks = most;
    this.dims = new long[2 * layouts.size()];
    this.blocks = new long[5 * total];
    // Classes keyed by (rows, cols, rooted), in order of first appearance.
    Map<List<Integer>, List<Integer>> classes = new LinkedHashMap<>();
    int[] paramOf = new int[total];
    int b = 0;
    for (int p = 0; p < layouts.size(); p++) {
      BlockLayout layout = layouts.get(p);
      dims[2 * p] = layout.rows();
      dims[2 * p + 1] = layout.cols();
      for (BlockLayout.Block block : layout.blocks()) {
        blocks[5 * b] = p;
        blocks[5 * b + 1] = block.rowStart();
        blocks[5 * b + 2] = block.rowEnd();
        blocks[5 * b + 3] = block.colStart();
        blocks[5 * b + 4] = block.colEnd();
        paramOf[b] = p;
        boolean rooted = flags.get(p)[block.index()];
        classes.computeIfAbsent(List.of(block.rows(), block.cols(), rooted ? 1 : 0),
            k -> new ArrayList<>()).add(b);
        b++;
      }
    }
    int count = classes.size();
    this.classOffsets = new long[count + 1];
    this.classMembers = new long[total];
    this.classRooted = new boolean[count];
    this.memberParams = new long[count][];
    int[] position = new int[total];
    int c = 0;
    int at = 0;
    for (Map.Entry<List<Integer>, List<Integer>> e : classes.entrySet()) {
      classRooted[c] = e.getKey().get(2) == 1;
      List<Integer> members = e.getValue();
      memberParams[c] = new long[members.size()];
      for (int t = 0; t < members.size(); t++) {
        int block = members.get(t);
        classMembers[at] = block;
        position[block] = at;
        memberParams[c][t] = paramOf[block];
        at++;
      }
      c++;
      classOffsets[c] = at;
    }
    // Parameter p's blocks at their positions in the classes' member order, padded with the
    // position one past the last (where the module puts a zero).
    this.paramBlocks = new long[layouts.size() * maxBlocks];
    Arrays.fill(paramBlocks, total);
    int block = 0;
    for (int p = 0; p < layouts.size(); p++) {
      for (int k = 0; k < layouts.get(p).blockCount(); k++) {
        paramBlocks[p * maxBlocks + k] = position[block++];
      }
    }
  }

  /** Whether this plan serves parameters with these layouts and root flags. */
  boolean matches(List<BlockLayout> otherLayouts, List<boolean[]> otherFlags) {
    if (!layouts.equals(otherLayouts) || otherFlags.size() != hasRoot.size()) {
      return false;
    }
    for (int p = 0; p < hasRoot.size(); p++) {
      if (!Arrays.equals(hasRoot.get(p), otherFlags.get(p))) {
        return false;
      }
    }
    return true;
  }

  /** How many parameters the plan covers. */
  int parameterCount() {
    return layouts.size();
  }

  /** How many blocks of all parameters. */
  int blockCount() {
    return classMembers.length;
  }

  /** How many classes the module multiplies as batches. */
  int classCount() {
    return classRooted.length;
  }

  /** Rows and columns of each parameter's matrix view, {@code 2p} and {@code 2p + 1}. */
  long[] dims() {
    return dims.clone();
  }

  /** Per block: parameter, row start, row end, column start, column end. */
  long[] blocks() {
    return blocks.clone();
  }

  /** Class c's members are {@code classMembers()[classOffsets()[c] .. classOffsets()[c+1]]}. */
  long[] classOffsets() {
    return classOffsets.clone();
  }

  /** Block numbers, class by class. */
  long[] classMembers() {
    return classMembers.clone();
  }

  /** Per class, whether its blocks have roots (else they pass their gradient through). */
  boolean[] classRooted() {
    return classRooted.clone();
  }

  /** Per class, the parameter of each member. */
  long[] memberParams(int c) {
    return memberParams[c].clone();
  }

  /** Per parameter, {@link #maxBlocks()} positions of its blocks in member order, padded. */
  long[] paramBlocks() {
    return paramBlocks.clone();
  }

  /** The most blocks of any one parameter. */
  int maxBlocks() {
    return maxBlocks;
  }
}
