package org.shampoo4j.shampoo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.base.BaseOptimizer;
import org.shampoo4j.shampoo.health.HealthReport;
import org.shampoo4j.shampoo.memory.DeviceMemory;
import org.shampoo4j.shampoo.memory.MemoryReport;
import org.shampoo4j.shampoo.memory.ParameterMemory;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * The health and memory reports of {@link ShampooOptimizer}, read from the registered states
 * (each report sees no state made or dropped while it is written).
 */
final class ShampooReports {
  private final ParameterRegistry states;
  private final PreconditionerRepresentation representation;
  private final BaseOptimizer base;

  ShampooReports(ParameterRegistry states, PreconditionerRepresentation representation,
      BaseOptimizer base) {
    this.states = states;
    this.representation = representation;
    this.base = base;
  }

  /** Every block's failure counts, in the order of first updates. */
  HealthReport health(long skippedUpdates) {
    List<HealthReport.Block> blocks = states.read(all -> {
      List<HealthReport.Block> out = new ArrayList<>();
      for (ParameterState s : all.values()) {
        for (BlockState bs : s.blocks) {
          out.add(bs.health.snapshot());
        }
      }
      return out;
    });
    return new HealthReport(blocks, skippedUpdates);
  }

  /** Every parameter's and device's bytes, from the real buffers. */
  MemoryReport memory(long skippedUpdates) {
    List<ParameterMemory> out = new ArrayList<>();
    Map<String, DeviceMemory> devices = new LinkedHashMap<>();
    states.read(all -> {
      for (Map.Entry<String, ParameterState> e : all.entrySet()) {
        out.add(parameter(e.getKey(), e.getValue(), devices));
      }
      return null;
    });
    return new MemoryReport(representation.name(), base.name(), out, skippedUpdates,
        List.copyOf(devices.values()));
  }

  /** One parameter's bytes; each of its units is also added to its owner's {@code devices}. */
  private ParameterMemory parameter(String key, ParameterState s,
      Map<String, DeviceMemory> devices) {
    MemoryFootprint pre = MemoryFootprint.ZERO;
    MemoryFootprint baseBytes = MemoryFootprint.ZERO;
    long rejected = 0;
    for (int u = 0; u < s.owners.size(); u++) {
      MemoryFootprint unitPre = MemoryFootprint.ZERO;
      if (s.layout != null) {
        BlockState bs = s.blocks.get(u);
        unitPre = bs.left.memory().plus(bs.right.memory());
        rejected += bs.health.rejectedStatistics() + bs.health.rejectedRoots();
      }
      // The base state is per block only for sharded multi-block parameters.
      MemoryFootprint unitBase = s.perBlockBase() || u == 0
          ? base.memory(s.unitKey(key, u)) : MemoryFootprint.ZERO;
      pre = pre.plus(unitPre);
      baseBytes = baseBytes.plus(unitBase);
      String device = s.owners.get(u).label();
      devices.merge(device, new DeviceMemory(device, 1, unitPre, unitBase),
          (a, b) -> a.plus(b.units(), b.preconditioners(), b.baseOptimizer()));
    }
    return new ParameterMemory(key, s.shape.toString(), s.layout != null, s.blocks.size(), pre,
        baseBytes, rejected);
  }
}
