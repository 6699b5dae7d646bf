package org.shampoo4j.bench.jmh;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.shampoo4j.bench.variant.RepresentationChoice;
import org.shampoo4j.quant.MemoryFootprint;

/**
 * Measured state bytes of one statistic (with its inverse root) per representation and order,
 * read from {@code Preconditioner.memory()} after a few updates and a root refresh, and the bits
 * per element they amount to against the theory for 4-bit codes with one fp32 scale per block of
 * 64 inside each row (the default blocking): {@code 4 + 32·⌈n/64⌉/n} bits, 4.5 when 64 divides n
 * (docs/algorithms.md §2). Elements are counted as the {@code 2·n²} values of statistic and root.
 */
final class StateMemoryTable {
  /** Bits per element of a 4-bit n×n state with blocks of 64 inside rows: 4 + 32·⌈n/64⌉/n. */
  static double theory4Bit(int order) {
    return 4 + 32.0 * ((order + 63) / 64) / order;
  }

  private StateMemoryTable() {}

  /** One row per representation and order. */
  static List<Map<String, Object>> measure(List<Integer> orders) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int order : orders) {
      for (RepresentationChoice c : RepresentationChoice.values()) {
        MemoryFootprint m;
        try (PreconditionerFixture f = new PreconditionerFixture(
            c.representation(), order, 42, ai.djl.Device.cpu())) {
          m = f.left.memory();
        }
        double elements = 2.0 * order * order;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("representation", c.id());
        row.put("order", order);
        row.put("bytes", m.total());
        row.put("codeBytes", m.codeBytes());
        row.put("scaleBytes", m.scaleBytes());
        row.put("fp32Bytes", m.fp32Bytes());
        row.put("bitsPerElement", m.total() * 8.0 / elements);
        row.put("quantizedBitsPerElement", (m.codeBytes() + m.scaleBytes()) * 8.0 / elements);
        row.put("theoryBitsPerElement", c == RepresentationChoice.FULL ? 32.0 : theory4Bit(order));
        rows.add(row);
      }
    }
    return rows;
  }

  /** The rows as aligned text. */
  static String render(List<Map<String, Object>> rows) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "%-10s %6s %14s %12s %12s %12s %10s %12s %8s%n", "repr", "order", "state bytes",
        "codes", "scales", "fp32", "bits/el", "4-bit part", "theory"));
    for (Map<String, Object> r : rows) {
      sb.append(String.format(Locale.ROOT, "%-10s %6d %14d %12d %12d %12d %10.3f %12.3f %8.3f%n",
          r.get("representation"), r.get("order"), r.get("bytes"), r.get("codeBytes"),
          r.get("scaleBytes"), r.get("fp32Bytes"), r.get("bitsPerElement"),
          r.get("quantizedBitsPerElement"), r.get("theoryBitsPerElement")));
    }
    return sb.toString();
  }
}
