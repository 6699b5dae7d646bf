package org.shampoo4j.shampoo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.state.CheckpointContents;
import org.shampoo4j.shampoo.state.Fingerprint;
import org.shampoo4j.shampoo.state.InvalidCheckpointException;
import org.shampoo4j.shampoo.state.LearningRateRecord;
import org.shampoo4j.shampoo.state.ParameterSet;
import org.shampoo4j.shampoo.state.StateBinding;
import org.shampoo4j.shampoo.state.StateSnapshot;

/**
 * The checkpoint codec of {@link ShampooOptimizer}: one parameter's state as a {@link
 * StateSnapshot} (step counter, per block the root flag, failure counts and both preconditioners
 * exactly as stored, the base optimizer's state) and back. The entry names below are the file
 * format: changing one breaks every checkpoint written before.
 */
final class ShampooCheckpoint {
  /** The optimizer kind written into checkpoints. */
  static final String KIND = "shampoo";

  private static final String STEP = "step";
  private static final String BLOCKS = "blocks";
  private static final String BLOCK = "block";
  private static final String HAS_ROOT = ".hasRoot";
  private static final String REJECTED_STATISTICS = ".rejectedStatistics";
  private static final String REJECTED_ROOTS = ".rejectedRoots";
  private static final String FAILED_STATISTIC_RUN = ".failedStatisticRun";
  private static final String FAILED_ROOT_RUN = ".failedRootRun";
  private static final String BASE = "base";

  private final ShampooConfig config;
  private final BaseOptimizer base;

  ShampooCheckpoint(ShampooConfig config, BaseOptimizer base) {
    this.config = config;
    this.base = base;
  }

  /** The checkpoint of every registered state, bound to {@code parameters}. */
  CheckpointContents contents(Fingerprint fingerprint, long skippedUpdates,
      ParameterSet parameters, ParameterRegistry states) {
    return states.read(all -> StateBinding.contents(KIND, fingerprint, skippedUpdates,
        parameters, all.keySet(), key -> snapshot(all.get(key), key)));
  }

  /**
   * Fresh states for a read checkpoint, keyed by {@code stateKey(parameter id, device)}, with the
   * base optimizer's state restored; on failure every fresh state is closed again and nothing of
   * the optimizer has changed but the base optimizer's state.
   *
   * @throws InvalidCheckpointException if a parameter's state does not fit
   */
  Map<String, ParameterState> restore(StateBinding.Loaded loaded, ParameterRegistry states,
      BiFunction<String, Device, String> stateKey) throws IOException {
    Map<String, ParameterState> fresh = new LinkedHashMap<>();
    Map<String, StateSnapshot> baseStates = new LinkedHashMap<>();
    Map<String, NDArray> weights = new LinkedHashMap<>();
    List<NDManager> templates = new ArrayList<>();
    try {
      for (StateBinding.Bound b : loaded.parameters()) {
        StateSnapshot snapshot = b.record().state();
        if (snapshot.isEmpty()) {
          continue;
        }
        String id = b.parameter().id();
        NDArray weight = b.parameter().array();
        String key = stateKey.apply(id, weight.getDevice());
        ParameterState state = states.newState(id, key, weight);
        fresh.put(key, state);
        try {
          LearningRateRecord.check(snapshot, STEP, config.learningRateTracker(), id);
          restore(state, snapshot, weight);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
          throw new InvalidCheckpointException(
              "parameter '" + b.record().name() + "': " + e.getMessage(), e);
        }
        for (BaseUnit u : baseUnits(state, key)) {
          baseStates.put(u.key(), snapshot.section(u.prefix()));
          weights.put(u.key(), u.template(weight, templates));
        }
      }
      try {
        base.restoreState(baseStates, weights);
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        throw new InvalidCheckpointException("base optimizer state: " + e.getMessage(), e);
      }
    } catch (IOException | RuntimeException e) {
      fresh.values().forEach(ParameterState::close);
      throw e;
    } finally {
      templates.forEach(NDManager::close);
    }
    return fresh;
  }

  private StateSnapshot snapshot(ParameterState s, String key) {
    if (s == null) {
      return StateSnapshot.EMPTY;
    }
    StateSnapshot.Builder b = StateSnapshot.builder()
        .counter(STEP, s.step)
        .counter(BLOCKS, s.blocks.size());
    LearningRateRecord.write(b, config.learningRateTracker(), key, s.step);
    for (BlockState bs : s.blocks) {
      String prefix = BLOCK + bs.block.index();
      b.counter(prefix + HAS_ROOT, bs.hasRoot ? 1 : 0)
          .counter(prefix + REJECTED_STATISTICS, bs.health.rejectedStatistics())
          .counter(prefix + REJECTED_ROOTS, bs.health.rejectedRoots())
          .counter(prefix + FAILED_STATISTIC_RUN, bs.health.consecutiveStatisticFailures())
          .counter(prefix + FAILED_ROOT_RUN, bs.health.consecutiveRootFailures())
          .include(prefix + ".L", bs.left.saveState())
          .include(prefix + ".R", bs.right.saveState());
    }
    for (BaseUnit u : baseUnits(s, key)) {
      StateSnapshot baseState = base.saveState(u.key());
      if (!baseState.isEmpty()) {
        b.include(u.prefix(), baseState);
      }
    }
    return b.build();
  }

  /**
   * Where the base optimizer keeps a parameter's state: one unit under the parameter's key, or
   * (sharded, several blocks) one per block under {@link ParameterState#unitKey}, each on its
   * owner device with the shape its base update sees.
   */
  private static List<BaseUnit> baseUnits(ParameterState s, String key) {
    if (!s.perBlockBase()) {
      return List.of(new BaseUnit(BASE, key, s.owners.get(0).device(), s.shape));
    }
    List<BaseUnit> out = new ArrayList<>();
    for (BlockState bs : s.blocks) {
      int i = bs.block.index();
      out.add(new BaseUnit(BLOCK + i + "." + BASE, s.unitKey(key, i), s.owners.get(i).device(),
          new Shape(bs.block.rows(), bs.block.cols())));
    }
    return out;
  }

  /** One base-optimizer state of a parameter: its checkpoint prefix, key, device and shape. */
  private record BaseUnit(String prefix, String key, Device device, Shape shape) {
    /**
     * An array of the unit's shape, type and device for the base optimizer's restore: the weight
     * itself when it fits, else zeros in a new scratch manager added to {@code scratch}.
     */
    NDArray template(NDArray weight, List<NDManager> scratch) {
      if (weight.getDevice().equals(device) && weight.getShape().equals(shape)) {
        return weight;
      }
      NDManager m = weight.getManager().getEngine().newBaseManager(device);
      scratch.add(m);
      return m.zeros(shape, weight.getDataType());
    }
  }

  /** Restores a fresh state; its preconditioners swap only once their part was fully read. */
  private static void restore(ParameterState state, StateSnapshot snapshot, NDArray weight) {
    StateSnapshot.Reader r = snapshot.reader(weight.getManager());
    int step = (int) r.counter(STEP, 1, Integer.MAX_VALUE);
    r.counter(BLOCKS, state.blocks.size(), state.blocks.size());
    for (BlockState bs : state.blocks) {
      String prefix = BLOCK + bs.block.index();
      bs.hasRoot = r.counter(prefix + HAS_ROOT, 0, 1) == 1;
      bs.health.restore(r.counter(prefix + REJECTED_STATISTICS, 0, Long.MAX_VALUE),
          r.counter(prefix + REJECTED_ROOTS, 0, Long.MAX_VALUE),
          (int) r.counter(prefix + FAILED_STATISTIC_RUN, 0, Integer.MAX_VALUE),
          (int) r.counter(prefix + FAILED_ROOT_RUN, 0, Integer.MAX_VALUE));
      for (String side : new String[] {".L", ".R"}) {
        Preconditioner p = side.equals(".L") ? bs.left : bs.right;
        try {
          p.restoreState(snapshot.section(prefix + side));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("block " + bs.block.index() + " " + side.substring(1)
              + ": " + e.getMessage(), e);
        }
        r.markSection(prefix + side);
      }
    }
    r.markSection(BASE);
    r.markSection(LearningRateRecord.SECTION); // checked by loadState
    for (BlockState bs : state.blocks) {
      r.markSection(BLOCK + bs.block.index() + "." + BASE);
    }
    r.finish();
    state.step = step;
  }
}
