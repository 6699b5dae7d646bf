package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.Blocking;
import org.shampoo4j.quant.QuantizationSettings;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.shampoo.state.Setting;

/**
 * {@link ShampooConfig#settings()} describes every field of the configuration, and the fingerprint
 * derived from it is exactly the one written by hand before (so existing checkpoints still load).
 */
class ShampooConfigSettingsTest {
  /** A field added to the configuration without being described here fails this test. */
  @Test
  void everyFieldOfTheConfigurationAndItsBuilderIsDescribedOnce() {
    Set<String> described = new TreeSet<>();
    ShampooConfig.settings().all().forEach(s -> described.add(s.name()));
    // The configuration holds its four quantization settings as one QuantizationSettings value.
    Set<String> fields = fieldNames(ShampooConfig.class);
    assertTrue(fields.remove("quantization"));
    fields.addAll(List.of("quantizationBits", "quantizationBlockSize", "quantizationBlocking",
        "minQuantizedElements"));
    assertEquals(fields, described);
    assertEquals(fieldNames(ShampooConfig.Builder.class), described);
  }

  @Test
  void theQuantizationSettingsComeBackAsOneValue() {
    QuantizationSettings settings = QuantizationSettings.builder().bits(3).blockSize(32)
        .blocking(Blocking.FLAT).minQuantizedElements(0).build();
    ShampooConfig config = ShampooConfig.builder().quantization(settings).build();
    assertEquals(settings, config.quantization());
    assertEquals(config.quantization(), ShampooConfig.builder().quantizationBits(3)
        .quantizationBlockSize(32).quantizationBlocking(Blocking.FLAT).minQuantizedElements(0)
        .build().quantization());
    assertEquals(settings, config.toBuilder().build().quantization());
    assertEquals(QuantizationSettings.defaults(), ShampooConfig.builder().build().quantization());
  }

  @Test
  void theRuntimeSettingsAreTheTrackerAndTheNonFinitePolicy() {
    assertEquals(List.of("learningRate", "nonFinitePolicy"),
        ShampooConfig.settings().names(Setting.Role.RUNTIME));
    assertEquals(List.of("baseOptimizer"),
        ShampooConfig.settings().names(Setting.Role.COMPONENT));
  }

  @Test
  void theDefaultsGiveTheFingerprintOfEarlierVersions() {
    ShampooConfig config = ShampooConfig.builder().build();
    Map<String, String> expected = handWritten(config);
    expected.put("statisticsInterval", "100");
    expected.put("rootInterval", "500");
    expected.put("beta", "0.95");
    expected.put("epsilon", "1.0E-6");
    expected.put("maxOrder", "1200");
    expected.put("minPreconditionedDimension", "2");
    expected.put("rootMethod", "EIGH");
    expected.put("newtonIterations", "10");
    expected.put("grafting", "PER_TENSOR");
    expected.put("quantizationBits", "4");
    expected.put("quantizationBlockSize", "64");
    expected.put("minQuantizedElements", "4096");
    expected.put("quantizationBlocking", "ROWS");
    expected.put("rescaleGrad", "1.0");
    expected.put("clipGrad", "-1.0");
    expected.put("maxConsecutiveFailures", "3");
    assertFingerprint(expected, config);
  }

  @Test
  void otherSettingsGiveTheFingerprintOfEarlierVersions() {
    ShampooConfig config = ShampooConfig.builder().statisticsInterval(3).rootInterval(7)
        .beta(0.5f).epsilon(1e-4f).maxOrder(33).minPreconditionedDimension(5)
        .rootMethod(RootMethod.COUPLED_NEWTON).newtonIterations(20).grafting(Grafting.OFF)
        .quantizationBits(3).quantizationBlockSize(32).minQuantizedElements(0)
        .quantizationBlocking(Blocking.FLAT).rescaleGrad(0.25f).clipGrad(2f)
        .maxConsecutiveFailures(9).nonFinitePolicy(NonFinitePolicy.SKIP).learningRate(0.3f)
        .baseOptimizer(AdamW.builder().weightDecay(0.1f).settings()).build();
    Map<String, String> expected = handWritten(config);
    expected.put("statisticsInterval", "3");
    expected.put("rootInterval", "7");
    expected.put("beta", "0.5");
    expected.put("epsilon", "1.0E-4");
    expected.put("maxOrder", "33");
    expected.put("minPreconditionedDimension", "5");
    expected.put("rootMethod", "COUPLED_NEWTON");
    expected.put("newtonIterations", "20");
    expected.put("grafting", "OFF");
    expected.put("quantizationBits", "3");
    expected.put("quantizationBlockSize", "32");
    expected.put("minQuantizedElements", "0");
    expected.put("quantizationBlocking", "FLAT");
    expected.put("rescaleGrad", "0.25");
    expected.put("clipGrad", "2.0");
    expected.put("maxConsecutiveFailures", "9");
    assertFingerprint(expected, config);
  }

  @Test
  void runtimeSettingsLeaveTheFingerprintAlone() {
    ShampooConfig config = ShampooConfig.builder().build();
    ShampooConfig runtimeOnly = config.toBuilder().learningRate(0.7f)
        .nonFinitePolicy(NonFinitePolicy.THROW).build();
    try (ShampooOptimizer a = optimizer(config);
        ShampooOptimizer b = optimizer(runtimeOnly)) {
      assertEquals(a.fingerprint(), b.fingerprint());
    }
  }

  /** The representation and base entries the optimizer writes ahead of the configuration's. */
  private static Map<String, String> handWritten(ShampooConfig config) {
    Map<String, String> expected = new LinkedHashMap<>();
    try (ShampooOptimizer opt = optimizer(config)) {
      expected.put("representation", "full-fp32");
      expected.put("representation.configuration", new FullMatrixRepresentation().configuration());
      expected.put("base", config.baseOptimizer().name());
      expected.put("base.configuration", opt.baseOptimizer().configuration());
    }
    return expected;
  }

  private static void assertFingerprint(Map<String, String> expected, ShampooConfig config) {
    try (ShampooOptimizer opt = optimizer(config)) {
      // Order too: the keys are written into checkpoints in this order.
      assertEquals(new ArrayList<>(expected.entrySet()),
          new ArrayList<>(opt.fingerprint().entries().entrySet()));
    }
  }

  private static ShampooOptimizer optimizer(ShampooConfig config) {
    return ShampooOptimizer.builder().config(config)
        .representation(new FullMatrixRepresentation()).build();
  }

  static Set<String> fieldNames(Class<?> type) {
    Set<String> out = new TreeSet<>();
    for (Field f : type.getDeclaredFields()) {
      if (!Modifier.isStatic(f.getModifiers()) && !f.isSynthetic()) {
        out.add(f.getName());
      }
    }
    return out;
  }
}
