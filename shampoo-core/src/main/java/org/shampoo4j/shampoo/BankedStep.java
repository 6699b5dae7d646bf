package org.shampoo4j.shampoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.shampoo4j.shampoo.bank.RootUpdates;
import org.shampoo4j.shampoo.bank.StatisticUpdates;
import org.shampoo4j.shampoo.base.GateCheck;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.RejectedUpdateException;
import org.shampoo4j.shampoo.representation.RejectedUpdateException.Kind;
import org.shampoo4j.shampoo.representation.StepRoot;

/**
 * A parameter's Shampoo step through the fused kernels: all Gram matrices in one call, statistics
 * and roots refreshed in batches across blocks ({@link StatisticUpdates}, {@link RootUpdates}),
 * the direction in one call of the step module ({@link StepKernels#bankedDirection}). Bit for bit
 * what {@link PerOperationStep} gives; each block's health is recorded as it records it.
 */
final class BankedStep {
  private final ShampooConfig config;

  BankedStep(ShampooConfig config) {
    this.config = config;
  }

  /**
   * The direction of a preconditioned parameter from its gradient {@code g}, refreshing
   * statistics at T1 and roots at T2 first. The gate's flag is read with the first refresh
   * batch's flags (or up front by the bank's updates if a member refreshes alone); once known
   * bad, nothing of this step refreshes.
   */
  NDArray direction(ParameterState s, NDArray g, int step, DeviceLinalg.Kernels la,
      GateCheck check, NDManager scratch) {
    refreshDue(s, g, step, la, check);
    boolean[] hasRoot = new boolean[s.blocks.size()];
    for (BlockState bs : s.blocks) {
      hasRoot[bs.block.index()] = bs.hasRoot;
    }
    if (!s.preconditioned()) {
      // L̂ = R̂ = I everywhere and grafting would rescale by exactly 1: the direction is G.
      return g;
    }
    // The roots as stored (4-bit ones packed): the module decodes each order class at once.
    List<StepRoot> rootArrays = new ArrayList<>(2 * s.blocks.size());
    StepRoot placeholder = new StepRoot.Dense(g);
    for (BlockState bs : s.blocks) {
      // Blocks without roots pass g as a placeholder that the module does not read.
      rootArrays.add(bs.hasRoot ? bs.left.stepRoot(scratch) : placeholder);
      rootArrays.add(bs.hasRoot ? bs.right.stepRoot(scratch) : placeholder);
    }
    return la.step().bankedDirection(g, rootArrays, s.layout, hasRoot, config.grafting());
  }

  /**
   * The refreshes step {@code step} is due for, from the gradient {@code g}: statistics at T1,
   * then roots at T2, in batches across the parameter's blocks; nothing more once the gate is
   * known bad. What {@link #direction} does before the direction itself.
   */
  void refreshDue(ParameterState s, NDArray g, int step, DeviceLinalg.Kernels la,
      GateCheck check) {
    if (step % config.statisticsInterval() == 0) {
      accumulate(s.blocks,
          List.of(la.bank().grams(g, s.layout.rowCuts(), s.layout.colCuts())), check);
    }
    if (step % config.rootInterval() == 0 && !check.isRejected()) {
      refresh(s.blocks, check);
    }
  }

  /**
   * The refreshes of a whole step, for many parameters on one device at once: the statistics of
   * every parameter due for T1 in one batch per representation, then the roots of every parameter
   * due for T2 likewise, with all of the step's gates read together with the first batch's flags
   * (one read where the per-parameter path reads once per parameter). Each parameter ends as
   * {@link #refreshDue} would leave it: if a gate turns out closed, nothing was installed yet and
   * each parameter is refreshed on its own under its own check, whose answer is known by then.
   *
   * @param states the parameters' states, each with a layout
   * @param grads per state its gradient, on the kernels' device
   * @param steps per state the step it is at
   * @param checks per state its gate check
   */
  void refreshAll(List<ParameterState> states, List<NDArray> grads, List<Integer> steps,
      DeviceLinalg.Kernels la, List<GateCheck> checks) {
    List<Integer> t1 = due(steps, config.statisticsInterval());
    List<Integer> t2 = due(steps, config.rootInterval());
    if (!t1.isEmpty()) {
      GateCheck all = GateCheck.allOf(t1.stream().map(checks::get).toList());
      List<BlockState> blocks = new ArrayList<>();
      List<List<Integer>> rowCuts = new ArrayList<>();
      List<List<Integer>> colCuts = new ArrayList<>();
      for (int i : t1) {
        ParameterState s = states.get(i);
        blocks.addAll(s.blocks);
        rowCuts.add(s.layout.rowCuts());
        colCuts.add(s.layout.colCuts());
      }
      accumulate(blocks,
          List.of(la.bank().gramsOfAll(t1.stream().map(grads::get).toList(), rowCuts, colCuts)),
          all);
      if (all.isRejected()) {
        eachAlone(states, grads, steps, la, checks);
        return;
      }
    }
    if (!t2.isEmpty()) {
      GateCheck all = GateCheck.allOf(t2.stream().map(checks::get).toList());
      List<BlockState> blocks = new ArrayList<>();
      for (int i : t2) {
        blocks.addAll(states.get(i).blocks);
      }
      refresh(blocks, all);
      if (all.isRejected()) {
        // The statistics above landed (their gates passed); the roots go one by one.
        for (int i : t2) {
          if (!checks.get(i).isRejected()) {
            refresh(states.get(i).blocks, checks.get(i));
          }
        }
      }
    }
  }

  /** {@link #refreshDue} of every parameter alone, each under its own check. */
  private void eachAlone(List<ParameterState> states, List<NDArray> grads, List<Integer> steps,
      DeviceLinalg.Kernels la, List<GateCheck> checks) {
    for (int i = 0; i < states.size(); i++) {
      if (!checks.get(i).isRejected()) {
        refreshDue(states.get(i), grads.get(i), steps.get(i), la, checks.get(i));
      }
    }
  }

  /** The indices of the steps that are due for a refresh every {@code interval} steps. */
  private static List<Integer> due(List<Integer> steps, int interval) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i) % interval == 0) {
        out.add(i);
      }
    }
    return out;
  }

  /**
   * One owner's share of a sharded multi-block step: the statistics of its blocks at T1 and their
   * roots at T2 in batches, then their directions in one call of the step module on the whole
   * gradient matrix, in which only this owner's blocks have roots. Per-tensor grafting is left to
   * the caller (it needs every owner's blocks); per-block grafting happens in the call. Each owned
   * block's direction, a slice of the call's result, goes into {@code directions}; bit for bit
   * what {@link PerOperationStep#blockDirection} gives.
   *
   * @param m the whole gradient as {@code s.layout}'s fp32 matrix, on the owner's device
   */
  void ownerDirections(ParameterState s, List<BlockState> owned, NDArray m, boolean stats,
      boolean roots, NDManager scratch, DeviceLinalg.Kernels la, NDArray[] directions) {
    // The sharded step read the gate before deciding stats/roots: open checks here.
    if (stats) {
      NDArray[] grams = la.bank().grams(m, s.layout.rowCuts(), s.layout.colCuts());
      List<NDArray> ownedGrams = new ArrayList<>(2 * owned.size());
      for (BlockState bs : owned) {
        ownedGrams.add(grams[2 * bs.block.index()]);
        ownedGrams.add(grams[2 * bs.block.index() + 1]);
      }
      accumulate(owned, ownedGrams, GateCheck.open());
    }
    if (roots) {
      refresh(owned, GateCheck.open());
    }
    boolean[] hasRoot = new boolean[s.blocks.size()];
    boolean preconditioned = false;
    for (BlockState bs : owned) {
      hasRoot[bs.block.index()] = bs.hasRoot;
      preconditioned |= bs.hasRoot;
    }
    if (!preconditioned) {
      // No owned block has roots: each direction is its gradient block.
      for (BlockState bs : owned) {
        directions[bs.block.index()] = PerOperationStep.block(s, m, bs.block);
      }
      return;
    }
    StepRoot placeholder = new StepRoot.Dense(m);
    List<StepRoot> rootArrays =
        new ArrayList<>(Collections.nCopies(2 * s.blocks.size(), placeholder));
    for (BlockState bs : owned) {
      if (bs.hasRoot) {
        rootArrays.set(2 * bs.block.index(), bs.left.stepRoot(scratch));
        rootArrays.set(2 * bs.block.index() + 1, bs.right.stepRoot(scratch));
      }
    }
    Grafting grafting =
        config.grafting() == Grafting.PER_TENSOR ? Grafting.OFF : config.grafting();
    NDArray all = la.step().bankedDirection(m, rootArrays, s.layout, hasRoot, grafting);
    for (BlockState bs : owned) {
      directions[bs.block.index()] = PerOperationStep.block(s, all, bs.block);
    }
  }

  /**
   * The T1 event of some blocks: their statistics updated in batches from their Gram matrices
   * ({@code grams[2k]}, {@code grams[2k+1]} for {@code blocks[k]}), then each block's health (a
   * rejected update keeps that preconditioner's previous state).
   */
  private void accumulate(List<BlockState> blocks, List<NDArray> grams, GateCheck check) {
    List<Preconditioner> members = new ArrayList<>(2 * blocks.size());
    for (BlockState bs : blocks) {
      members.add(bs.left);
      members.add(bs.right);
    }
    List<RejectedUpdateException> outcomes = StatisticUpdates.accumulate(members, grams, check);
    if (check.isRejected()) {
      return; // a rejected step refreshed nothing and counts no failure
    }
    for (int k = 0; k < blocks.size(); k++) {
      BlockState bs = blocks.get(k);
      for (int side = 0; side < 2; side++) {
        RejectedUpdateException e = outcomes.get(2 * k + side);
        bs.health.attempt(() -> {
          if (e != null) {
            throw e;
          }
        });
      }
      bs.health.finishEvent(Kind.STATISTIC, config.maxConsecutiveFailures());
    }
  }

  /** The T2 event of some blocks: roots refreshed in batches, then each block's health. */
  private void refresh(List<BlockState> blocks, GateCheck check) {
    List<Preconditioner> members = new ArrayList<>(2 * blocks.size());
    for (BlockState bs : blocks) {
      members.add(bs.left);
      members.add(bs.right);
    }
    List<RejectedUpdateException> outcomes = RootUpdates.refresh(members, check);
    if (check.isRejected()) {
      return; // a rejected step refreshed nothing and counts no failure
    }
    for (int k = 0; k < blocks.size(); k++) {
      BlockState bs = blocks.get(k);
      boolean any = false;
      for (int side = 0; side < 2; side++) {
        RejectedUpdateException e = outcomes.get(2 * k + side);
        any |= bs.health.attempt(() -> {
          if (e != null) {
            throw e;
          }
        });
      }
      bs.hasRoot |= any;
      bs.health.finishEvent(Kind.ROOT, config.maxConsecutiveFailures());
    }
  }
}
