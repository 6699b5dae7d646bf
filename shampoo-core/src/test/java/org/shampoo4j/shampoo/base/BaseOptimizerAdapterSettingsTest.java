package org.shampoo4j.shampoo.base;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.state.Setting;

/**
 * {@link BaseOptimizerAdapter#settings()} describes every setting of the adapter's builder, and
 * the fingerprint derived from it is exactly the one written by hand before.
 */
class BaseOptimizerAdapterSettingsTest {
  /** A builder setting added without being described fails this test. */
  @Test
  void everyBuilderFieldIsDescribed() {
    Set<String> fields = new TreeSet<>();
    for (Field f : BaseOptimizerAdapter.Builder.class.getDeclaredFields()) {
      if (!Modifier.isStatic(f.getModifiers()) && !f.isSynthetic()) {
        fields.add(f.getName());
      }
    }
    Set<String> described = new TreeSet<>();
    BaseOptimizerAdapter.settings().all().forEach(s -> described.add(s.name()));
    // The base optimizer is described by two entries: its name and its configuration.
    described.remove("base.configuration");
    assertEquals(fields, described);
    assertEquals(List.of("learningRate", "nonFinitePolicy", "fusedStep"),
        BaseOptimizerAdapter.settings().names(Setting.Role.RUNTIME));
  }

  @Test
  void theFingerprintIsTheOneOfEarlierVersions() {
    try (BaseOptimizerAdapter plain = BaseOptimizerAdapter.builder()
            .baseOptimizer(SgdMomentum.builder().build()).build();
        BaseOptimizerAdapter other = BaseOptimizerAdapter.builder()
            .baseOptimizer(AdamW.builder().weightDecay(0.1f).build()).rescaleGrad(0.5f)
            .clipGrad(3f).nonFinitePolicy(NonFinitePolicy.SKIP).learningRateTracker(
                ai.djl.training.tracker.Tracker.fixed(0.2f)).fusedStep(false).build()) {
      assertEquals(List.of(Map.entry("base", "sgd-momentum"),
              Map.entry("base.configuration", plain.baseOptimizer().configuration()),
              Map.entry("rescaleGrad", "1.0"), Map.entry("clipGrad", "-1.0")),
          new ArrayList<>(plain.fingerprint().entries().entrySet()));
      assertEquals(List.of(Map.entry("base", "adamw"),
              Map.entry("base.configuration", other.baseOptimizer().configuration()),
              Map.entry("rescaleGrad", "0.5"), Map.entry("clipGrad", "3.0")),
          new ArrayList<>(other.fingerprint().entries().entrySet()));
    }
  }
}
