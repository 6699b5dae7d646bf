package org.shampoo4j.shampoo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.shampoo4j.shampoo.base.DeviceManagers;
import org.shampoo4j.shampoo.health.BlockHealth;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * Every parameter's Shampoo state, by state key (the parameter and, when replicated, its device):
 * made on a parameter's first update with its blocks' preconditioners on their owners' devices,
 * undone when that update is rejected, replaced as a whole by a checkpoint, closed with the
 * optimizer. Iteration order is the order of first updates, which reports and checkpoints keep.
 */
final class ParameterRegistry implements AutoCloseable {
  private final Map<String, ParameterState> states =
      Collections.synchronizedMap(new LinkedHashMap<>());
  private final ShampooConfig config;
  private final PreconditionerRepresentation representation;
  private final DeviceManagers managers;
  private final DeviceLinalg linalg;
  // Who owns each unit, and whether one state serves all replicas.
  private final DistributedStep distribution;

  ParameterRegistry(ShampooConfig config, PreconditionerRepresentation representation,
      DeviceManagers managers, DeviceLinalg linalg, DistributedStep distribution) {
    this.config = config;
    this.representation = representation;
    this.managers = managers;
    this.linalg = linalg;
    this.distribution = distribution;
  }

  /** The blocks Shampoo cuts a parameter of this shape into; empty if not preconditioned. */
  Optional<BlockLayout> blockLayout(Shape shape) {
    return BlockLayout.of(shape, config.maxOrder(), config.minPreconditionedDimension());
  }

  /** The state under {@code key}, or null. */
  ParameterState get(String key) {
    return states.get(key);
  }

  /** The state under {@code key}, made now for {@code weight} if there is none. */
  ParameterState getOrCreate(String key, String parameterId, NDArray weight) {
    return states.computeIfAbsent(key, k -> newState(parameterId, k, weight));
  }

  /**
   * The left ({@code left = true}) or right preconditioner of one block of a parameter.
   *
   * @throws IllegalArgumentException if the parameter or block has no preconditioner
   */
  Preconditioner preconditioner(String parameterId, int block, boolean left) {
    ParameterState s = states.get(parameterId);
    if (s == null || s.layout == null) {
      throw new IllegalArgumentException("parameter '" + parameterId
          + "' has no preconditioner (not updated yet, or not preconditioned)");
    }
    if (block < 0 || block >= s.blocks.size()) {
      throw new IllegalArgumentException("parameter '" + parameterId + "' has "
          + s.blocks.size() + " blocks, no block " + block);
    }
    return left ? s.blocks.get(block).left : s.blocks.get(block).right;
  }

  /**
   * A fresh state for {@code weight} (not registered): its layout, owners and, for a
   * preconditioned parameter, both preconditioners of every block on the block's owner device.
   */
  ParameterState newState(String parameterId, String key, NDArray weight) {
    Shape shape = weight.getShape();
    Optional<BlockLayout> layout = blockLayout(shape);
    List<Owner> unitOwners = distribution.owners(parameterId, weight, layout);
    String engine = weight.getManager().getEngine().getEngineName();
    List<BlockState> blocks = new ArrayList<>();
    if (layout.isPresent()) {
      // One sub-manager per parameter and device keeps its state together on the owner device.
      Map<Device, PreconditionerContext> contexts = new LinkedHashMap<>();
      for (BlockLayout.Block b : layout.get().blocks()) {
        Device device = unitOwners.get(b.index()).device();
        PreconditionerContext shared =
            contexts.computeIfAbsent(device, d -> linalg.context(managers.forDevice(d, engine)));
        String label = key + "[block " + b.index() + "]";
        Preconditioner l =
            representation.create(b.rows(), shared.toBuilder().label(label + ".L").build());
        Preconditioner r =
            representation.create(b.cols(), shared.toBuilder().label(label + ".R").build());
        blocks.add(new BlockState(b, l, r, new BlockHealth(key, b.index())));
      }
    }
    return new ParameterState(shape, layout.orElse(null), blocks, unitOwners,
        distribution.sharesState());
  }

  /** Undoes the host side of a rejected update of {@code s} (see {@code UpdateGate}). */
  void rollBack(String key, ParameterState s, boolean created) {
    synchronized (states) {
      s.step--;
      if (created && states.remove(key, s)) {
        s.close();
      }
    }
  }

  /** Closes every state and puts {@code fresh} in their place (a loaded checkpoint). */
  void replaceAll(Map<String, ParameterState> fresh) {
    synchronized (states) {
      states.values().forEach(ParameterState::close);
      states.clear();
      states.putAll(fresh);
    }
  }

  /** {@code reader}'s result on the states, with no state made or dropped meanwhile. */
  <T> T read(Function<Map<String, ParameterState>, T> reader) {
    synchronized (states) {
      return reader.apply(Collections.unmodifiableMap(states));
    }
  }

  /** Frees every preconditioner. */
  @Override
  public void close() {
    synchronized (states) {
      states.values().forEach(ParameterState::close);
      states.clear();
    }
  }
}
