package org.shampoo4j.shampoo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.shampoo4j.shampoo.state.ParameterSet;
import java.util.Map;
import java.util.Optional;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.base.DeviceManagers;
import org.shampoo4j.shampoo.distributed.DeviceGroup;
import org.shampoo4j.shampoo.distributed.OwnerLedger;
import org.shampoo4j.shampoo.distributed.ReplicaRelay;
import org.shampoo4j.shampoo.distributed.Sharded;
import org.shampoo4j.shampoo.distributed.WorkUnit;

/**
 * {@link Sharded} at work: one state per parameter, each unit (block, or whole unpreconditioned
 * parameter) on its owner device from the {@link OwnerLedger}; the step is computed once, at
 * replica 0's call, and the {@link ReplicaRelay} hands the new weight to the other replicas.
 */
final class ShardedStep implements DistributedStep {
  private static final NDIndex ALL = new NDIndex("...");

  private final Sharded sharded;
  private final ShampooConfig config;
  private final BaseOptimizer base;
  private final Preconditioning preconditioning;
  private final DeviceManagers managers;
  private final OwnerLedger ledger;
  private final ReplicaRelay relay;

  ShardedStep(Sharded sharded, ShampooConfig config, BaseOptimizer base,
      Preconditioning preconditioning, DeviceManagers managers) {
    this.sharded = sharded;
    this.config = config;
    this.base = base;
    this.preconditioning = preconditioning;
    this.managers = managers;
    this.ledger = sharded.newLedger();
    this.relay = new ReplicaRelay(sharded.group());
  }

  @Override
  public String stateKey(String parameterId, Device device) {
    return parameterId; // one state, shared by the replicas
  }

  @Override
  public List<Owner> owners(String parameterId, NDArray weight, Optional<BlockLayout> layout) {
    DeviceGroup group = sharded.group();
    List<Owner> out = new ArrayList<>();
    for (int i : ledger.owners(parameterId, units(parameterId, weight.getShape(), layout))) {
      out.add(new Owner(group.device(i), group.label(i)));
    }
    return out;
  }

  @Override
  public boolean sharesState() {
    return true;
  }

  @Override
  public void planOwners(Block model) {
    List<WorkUnit> units = new ArrayList<>();
    for (Pair<String, Parameter> p : model.getParameters()) {
      Parameter parameter = p.getValue();
      if (!parameter.requiresGradient()) {
        continue;
      }
      if (!parameter.isInitialized()) {
        throw new IllegalArgumentException("parameter '" + p.getKey()
            + "' is not initialized; call planOwners after trainer.initialize");
      }
      Shape shape = parameter.getArray().getShape();
      units.addAll(units(parameter.getId(), shape, layout(shape)));
    }
    ledger.plan(units);
  }

  @Override
  public boolean admit(String parameterId, NDArray weight) {
    return false; // the sharded base steps run per owner, never batched
  }

  @Override
  public boolean relayed(String parameterId, NDArray weight) {
    return relay.relay(parameterId, weight);
  }

  @Override
  public void skipped(String parameterId) {
    relay.publish(parameterId, null, null);
  }

  @Override
  public boolean step(Update u) {
    NDArray updated = compute(u);
    relay.publish(u.parameterId(), updated, managers.forArray(u.weight()));
    return false;
  }

  @Override
  public boolean checksLater() {
    return false; // nothing is batched across parameters
  }

  @Override
  public void expectOrder(ParameterSet parameters) {
    // Nothing is batched across parameters: no order to expect.
  }

  @Override
  public void flush() {
    // Nothing is buffered.
  }

  @Override
  public void close() {
    relay.close();
  }

  /**
   * The sharded step of one parameter, computed once at replica 0's call: every unit's gradient
   * goes to its owner, which runs the unit's Shampoo step and the base optimizer on its slice of
   * the weight; the slices come back and form the new weight, written into {@code weight} and
   * returned for the other replicas. A parameter with one unit runs the plain step at its owner
   * (so on one device this equals the replicated step bit for bit); blocks of a multi-block
   * parameter run the base optimizer on their slice, under their own state key, and each owner's
   * blocks go through the fused kernels together ({@link BankedStep#ownerDirections}). Per-tensor
   * grafting needs the merged direction's norm: the blocks' directions are gathered on replica 0
   * for it (one parameter's worth of copies) and the factor goes back to the owners.
   */
  private NDArray compute(Update u) {
    try (OwnerScratch scratch = new OwnerScratch(u.weight())) {
      NDArray updated = u.state().perBlockBase() ? blockwise(u, scratch) : whole(u, scratch);
      updated.attach(u.scratch());
      u.weight().set(ALL, updated);
      return updated;
    }
  }

  /** A parameter with one unit: the plain step at its owner. Returns the new weight at home. */
  private NDArray whole(Update u, OwnerScratch scratch) {
    ParameterState s = u.state();
    Device owner = s.owners.get(0).device();
    NDManager os = scratch.on(owner);
    NDArray w = copyOnto(u.weight(), owner, os);
    NDArray gu = u.gradient().toDevice(w.getDevice(), false);
    NDArray direction =
        s.layout == null ? gu : preconditioning.direction(s, gu, u.step(), os, u.gate());
    base.update(u.key(), w, direction, u.lr(), u.step(), u.gate());
    return w.toDevice(u.weight().getDevice(), false);
  }

  /**
   * A multi-block parameter: each owner's blocks' directions, per-tensor grafting across owners,
   * then each block's base update on its slice. Returns the new weight at home.
   */
  private NDArray blockwise(Update u, OwnerScratch scratch) {
    ParameterState s = u.state();
    NDArray g = u.gradient();
    Device home = u.weight().getDevice();
    DataType type = g.getDataType();
    Shape matrix = s.layout.matrixShape();
    NDArray m = g.toType(DataType.FLOAT32, false).reshape(matrix);
    NDArray wm = u.weight().reshape(matrix);
    boolean[] refresh = preconditioning.refreshes(u.step(), u.gate());
    boolean stats = refresh[0];
    boolean roots = refresh[1];
    int n = s.blocks.size();
    NDArray[] directions = new NDArray[n];
    // Each owner's blocks together: one fused call for its statistics, roots and directions
    // where the step module is loaded, one operation at a time otherwise.
    Map<Device, List<BlockState>> byOwner = new LinkedHashMap<>();
    for (BlockState bs : s.blocks) {
      byOwner.computeIfAbsent(s.owners.get(bs.block.index()).device(),
          d -> new ArrayList<>()).add(bs);
    }
    for (Map.Entry<Device, List<BlockState>> e : byOwner.entrySet()) {
      Device owner = e.getKey();
      NDManager os = scratch.on(owner);
      DeviceLinalg.Kernels la = preconditioning.kernels(owner);
      if (la.step() == null) {
        for (BlockState bs : e.getValue()) {
          NDArray gb = PerOperationStep.block(s, m, bs.block).toDevice(owner, false);
          directions[bs.block.index()] =
              preconditioning.perOperation().blockDirection(bs, gb, stats, roots, os);
        }
      } else {
        preconditioning.banked().ownerDirections(s, e.getValue(), m.toDevice(owner, false),
            stats, roots, os, la, directions);
      }
    }
    if (s.preconditioned() && config.grafting() == Grafting.PER_TENSOR) {
      // The tensor-wide factor, from the merged direction on replica 0 exactly as the
      // unsharded step computes it (same sum, same scalar); each owner applies it.
      NDArray[] gathered = new NDArray[n];
      for (int i = 0; i < n; i++) {
        gathered[i] = directions[i].toDevice(home, false);
      }
      NDArray scale = Grafting.scale(PerOperationStep.assemble(s.layout, gathered), m);
      // One copy of the factor per owner device, not per block.
      Map<Device, NDArray> scales = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        NDArray local = scales.computeIfAbsent(directions[i].getDevice(),
            d -> scale.toDevice(d, false));
        directions[i] = directions[i].mul(local);
      }
    }
    NDArray[] parts = new NDArray[n];
    for (BlockState bs : s.blocks) {
      int i = bs.block.index();
      Device owner = s.owners.get(i).device();
      NDArray wb = copyOnto(PerOperationStep.block(s, wm, bs.block), owner, scratch.on(owner));
      base.update(s.unitKey(u.key(), i), wb, directions[i].toType(type, false), u.lr(), u.step(),
          u.gate());
      parts[i] = wb.toDevice(home, false);
    }
    return PerOperationStep.assemble(s.layout, parts).reshape(s.shape);
  }

  /** One step's scratch managers, one per owner device it touches, closed with the step. */
  private final class OwnerScratch implements AutoCloseable {
    private final Map<Device, NDManager> open = new LinkedHashMap<>();
    private final String engine;

    OwnerScratch(NDArray weight) {
      this.engine = weight.getManager().getEngine().getEngineName();
    }

    NDManager on(Device device) {
      return open.computeIfAbsent(device, d -> managers.forDevice(d, engine).newSubManager());
    }

    @Override
    public void close() {
      open.values().forEach(NDManager::close);
    }
  }

  /** A fresh copy of {@code x} on {@code device} in {@code manager} (never an alias of x). */
  private static NDArray copyOnto(NDArray x, Device device, NDManager manager) {
    NDArray copy = x.getDevice().equals(device) ? x.duplicate() : x.toDevice(device, false);
    copy.attach(manager);
    return copy;
  }

  /** A parameter's work units: its Shampoo blocks, or the whole parameter if unpreconditioned. */
  private List<WorkUnit> units(String parameterId, Shape shape, Optional<BlockLayout> layout) {
    if (layout.isEmpty()) {
      return List.of(new WorkUnit(parameterId, 0, sharded.cost().ofUnpreconditioned(shape.size())));
    }
    List<WorkUnit> out = new ArrayList<>();
    for (BlockLayout.Block b : layout.get().blocks()) {
      out.add(new WorkUnit(parameterId, b.index(), sharded.cost().ofBlock(b.rows(), b.cols())));
    }
    return out;
  }

  /** The blocks Shampoo cuts a parameter of this shape into; empty if not preconditioned. */
  private Optional<BlockLayout> layout(Shape shape) {
    return BlockLayout.of(shape, config.maxOrder(), config.minPreconditionedDimension());
  }
}
