package org.shampoo4j.bench.variant;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shampoo4j.adamw4.AdamW4BitConfig;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizerSpec;
import org.shampoo4j.shampoo.base.SgdMomentum;

/**
 * Every optimizer the bench compares, by id. Shampoo variants are Guice compositions that differ
 * in exactly one representation module (and the quantization-map module it uses); base variants
 * run SGD-momentum, AdamW or 4-bit AdamW alone.
 */
public final class VariantCatalogue {
  private final Map<String, OptimizerVariant> variants;

  private VariantCatalogue(Map<String, OptimizerVariant> variants) {
    this.variants = Collections.unmodifiableMap(variants);
  }

  /** The standard catalogue. */
  public static VariantCatalogue standard() {
    Map<String, OptimizerVariant> m = new LinkedHashMap<>();
    add(m, new BaseVariant("sgd", "SGD with momentum (fp32 state)",
        s -> SgdMomentum.builder().momentum(s.momentum()).weightDecay(s.sgdWeightDecay()).build(),
        VariantSettings::sgdLearningRate));
    add(m, new BaseVariant("adamw", "AdamW (fp32 moments)",
        s -> AdamW.builder().weightDecay(s.adamwWeightDecay()).build(),
        VariantSettings::adamwLearningRate));
    add(m, new BaseVariant("adamw4", "AdamW with 4-bit moments (DE map m, rank-1 linear v)",
        s -> AdamW4BitConfig.builder().weightDecay(s.adamwWeightDecay()).build().create(),
        VariantSettings::adamwLearningRate));
    for (RepresentationChoice r : RepresentationChoice.values()) {
      add(m, new ShampooVariant(r));
    }
    return new VariantCatalogue(m);
  }

  /** All ids, in report order. */
  public List<String> ids() {
    return List.copyOf(variants.keySet());
  }

  /**
   * The variants with these ids, in the given order.
   *
   * @throws IllegalArgumentException naming unknown ids and listing the known ones
   */
  public List<OptimizerVariant> select(List<String> ids) {
    List<OptimizerVariant> out = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    for (String id : ids) {
      OptimizerVariant v = variants.get(id.trim());
      if (v == null) {
        unknown.add(id);
      } else if (!out.contains(v)) {
        out.add(v);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          "unknown variant(s) " + unknown + "; known: " + String.join(", ", ids()));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no variant selected; known: " + String.join(", ", ids()));
    }
    return out;
  }

  /** Every variant, in report order. */
  public List<OptimizerVariant> all() {
    return List.copyOf(variants.values());
  }

  /** The spec of the base optimizer Shampoo grafts onto. */
  static BaseOptimizerSpec baseSpec(BaseKind kind, VariantSettings s) {
    return switch (kind) {
      case SGD -> SgdMomentum.builder().momentum(s.momentum()).weightDecay(s.sgdWeightDecay())
          .settings();
      case ADAMW -> AdamW.builder().weightDecay(s.adamwWeightDecay()).settings();
    };
  }

  private static void add(Map<String, OptimizerVariant> m, OptimizerVariant v) {
    m.put(v.id(), v);
  }
}
