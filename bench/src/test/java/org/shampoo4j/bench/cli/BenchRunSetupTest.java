package org.shampoo4j.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.Device;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.shampoo4j.bench.data.Augmentation;
import org.shampoo4j.bench.data.DigitsDataset;
import org.shampoo4j.bench.data.TrainTestSplit;
import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.train.TrainingSettings;
import org.shampoo4j.bench.variant.VariantSettings;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.state.Setting;
import org.shampoo4j.shampoo.state.SettingList;

/**
 * A run checkpoint's setup is derived from the described settings of the bench's configurations:
 * every field is described, the checkpointed ones are in the setup and the runtime ones are not.
 */
class BenchRunSetupTest {
  private static final TrainTestSplit DATA = DigitsDataset.split(0.2, 3).limit(96, 32);

  /** A field added to a settings class without being described fails this test. */
  @Test
  void everyFieldOfTheBenchSettingsIsDescribed() {
    assertDescribed(TrainingSettings.class, TrainingSettings.settings(),
        Set.of("batchSize:batch"));
    assertDescribed(VariantSettings.class, VariantSettings.settings(),
        Set.of("statisticInterval:T1", "rootInterval:T2"));
  }

  @Test
  void theSetupListsDataModelAndTheCheckpointedSettings() {
    String text = BenchRun.setup(DATA, ModelKind.MLP, TrainingSettings.builder().width(16).build(),
        VariantSettings.builder().build()).text();
    assertEquals("setup 2; data=" + DATA.describe() + "; model=" + ModelKind.MLP.cliName()
        + "; width=16; batch=64; seed=42; augmentation=none; T1=10; T2=50; maxOrder=1200; "
        + "beta=0.95; epsilon=1.0E-6; shampooBase=sgd; schedule=constant; sgdLearningRate=0.05; "
        + "adamwLearningRate=0.002; momentum=0.9; sgdWeightDecay=0.0; adamwWeightDecay=0.0",
        text);
  }

  @Test
  void runtimeSettingsLeaveTheSetupAloneAndCheckpointedOnesChangeIt() {
    TrainingSettings training = TrainingSettings.builder().build();
    VariantSettings variant = VariantSettings.builder().build();
    String base = BenchRun.setup(DATA, ModelKind.MLP, training, variant).text();
    TrainingSettings longerElsewhere = TrainingSettings.builder().epochs(50).progress(false)
        .dataOnDevice(false).devices(List.of(Device.cpu(), Device.gpu())).build();
    VariantSettings otherPolicy = VariantSettings.builder()
        .nonFinitePolicy(NonFinitePolicy.SKIP).fusedBase(false).build();
    assertEquals(base, BenchRun.setup(DATA, ModelKind.MLP, longerElsewhere, otherPolicy).text());
    assertNotEquals(base, BenchRun.setup(DATA, ModelKind.MLP,
        TrainingSettings.builder().augmentation(Augmentation.cropAndFlip(4)).build(), variant)
        .text());
    assertNotEquals(base, BenchRun.setup(DATA, ModelKind.MLP, training,
        VariantSettings.builder().beta(0.9f).build()).text());
  }

  /** Every instance field is a setting; {@code renamed} holds {@code field:setting} pairs. */
  private static void assertDescribed(Class<?> type, SettingList<?> settings,
      Set<String> renamed) {
    Set<String> fields = new TreeSet<>();
    for (Field f : type.getDeclaredFields()) {
      if (!Modifier.isStatic(f.getModifiers()) && !f.isSynthetic()) {
        fields.add(f.getName());
      }
    }
    for (String pair : renamed) {
      String[] p = pair.split(":");
      if (fields.remove(p[0])) {
        fields.add(p[1]);
      }
    }
    Set<String> described = new TreeSet<>();
    for (Setting<?> s : settings.all()) {
      described.add(s.name());
    }
    assertEquals(fields, described);
  }
}
