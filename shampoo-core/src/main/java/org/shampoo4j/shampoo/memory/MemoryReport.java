package org.shampoo4j.shampoo.memory;

import java.util.List;
import org.shampoo4j.quant.MemoryFootprint;

/**
 * Optimizer memory of a whole model, per parameter and in total, split by buffer kind (codes,
 * scales, fp32) as {@link MemoryFootprint} does. Immutable.
 *
 * @param representation the preconditioner representation's name
 * @param baseOptimizer the base optimizer's name
 * @param parameters one entry per parameter state, in first-update order
 * @param skippedUpdates parameter updates skipped for non-finite gradients
 * @param devices the same bytes per device that holds them, in first-use order (under sharding
 *     each device holds the units it owns; under replication each replica a full copy)
 */
public record MemoryReport(String representation, String baseOptimizer,
    List<ParameterMemory> parameters, long skippedUpdates, List<DeviceMemory> devices) {

  /** Copies the lists. */
  public MemoryReport {
    parameters = List.copyOf(parameters);
    devices = List.copyOf(devices);
  }

  /** A report without a per-device view. */
  public MemoryReport(String representation, String baseOptimizer,
      List<ParameterMemory> parameters, long skippedUpdates) {
    this(representation, baseOptimizer, parameters, skippedUpdates, List.of());
  }

  /** The largest total held by one device (the whole total when there is no per-device view). */
  public MemoryFootprint maxPerDevice() {
    return devices.stream().map(DeviceMemory::total)
        .max(java.util.Comparator.comparingLong(MemoryFootprint::total)).orElse(total());
  }

  /**
   * This report with DJL's parameter ids (uids) replaced by the block's readable parameter paths,
   * for example {@code 01Linear_weight}; a replica suffix {@code @device} is kept, unknown ids are
   * left as they are.
   *
   * @param block the model's block whose parameters the optimizer updated
   */
  public MemoryReport withParameterNames(ai.djl.nn.Block block) {
    java.util.Map<String, String> names = new java.util.HashMap<>();
    for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : block.getParameters()) {
      names.put(p.getValue().getId(), p.getKey());
    }
    List<ParameterMemory> renamed = new java.util.ArrayList<>();
    for (ParameterMemory p : parameters) {
      String key = p.parameterId();
      int at = key.indexOf('@');
      String id = at < 0 ? key : key.substring(0, at);
      String suffix = at < 0 ? "" : key.substring(at);
      String name = names.getOrDefault(id, id) + suffix;
      renamed.add(new ParameterMemory(name, p.shape(), p.preconditioned(), p.blocks(),
          p.preconditioners(), p.baseOptimizer(), p.rejectedUpdates()));
    }
    return new MemoryReport(representation, baseOptimizer, renamed, skippedUpdates, devices);
  }

  /** Bytes of all preconditioners. */
  public MemoryFootprint preconditionerTotal() {
    return parameters.stream().map(ParameterMemory::preconditioners)
        .reduce(MemoryFootprint.ZERO, MemoryFootprint::plus);
  }

  /** Bytes of all base-optimizer state. */
  public MemoryFootprint baseOptimizerTotal() {
    return parameters.stream().map(ParameterMemory::baseOptimizer)
        .reduce(MemoryFootprint.ZERO, MemoryFootprint::plus);
  }

  /** All optimizer bytes. */
  public MemoryFootprint total() {
    return preconditionerTotal().plus(baseOptimizerTotal());
  }

  /** Statistic updates and root refreshes rejected by all preconditioners. */
  public long rejectedUpdates() {
    return parameters.stream().mapToLong(ParameterMemory::rejectedUpdates).sum();
  }

  /** A readable table: one line per parameter, then totals. */
  public String toTable() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%-32s %-14s %6s %12s %12s %12s %12s%n", "parameter", "shape",
        "blocks", "codes", "scales", "fp32", "total"));
    for (ParameterMemory p : parameters) {
      MemoryFootprint t = p.total();
      sb.append(String.format("%-32s %-14s %6d %12d %12d %12d %12d%n", p.parameterId(), p.shape(),
          p.blocks(), t.codeBytes(), t.scaleBytes(), t.fp32Bytes(), t.total()));
    }
    MemoryFootprint pre = preconditionerTotal();
    MemoryFootprint base = baseOptimizerTotal();
    sb.append(String.format("preconditioners (%s): %d B (codes %d, scales %d, fp32 %d)%n",
        representation, pre.total(), pre.codeBytes(), pre.scaleBytes(), pre.fp32Bytes()));
    sb.append(String.format("base optimizer (%s): %d B%n", baseOptimizer, base.total()));
    if (devices.size() > 1) {
      for (DeviceMemory d : devices) {
        sb.append(String.format("on %s: %d B in %d units (preconditioners %d, base %d)%n",
            d.device(), d.total().total(), d.units(), d.preconditioners().total(),
            d.baseOptimizer().total()));
      }
    }
    sb.append(String.format(
        "total: %d B; rejected preconditioner updates: %d; skipped updates: %d%n",
        total().total(), rejectedUpdates(), skippedUpdates));
    return sb.toString();
  }
}
