package org.shampoo4j.shampoo.guard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.shampoo4j.shampoo.base.AdamW;
import org.shampoo4j.shampoo.base.BaseOptimizerAdapter;
import org.shampoo4j.shampoo.base.NonFinitePolicy;
import org.shampoo4j.shampoo.state.CheckpointContents;
import org.shampoo4j.shampoo.state.Fingerprint;
import org.shampoo4j.shampoo.state.InvalidCheckpointException;
import org.shampoo4j.shampoo.state.ParameterSet;
import org.shampoo4j.shampoo.state.StateBinding;

/**
 * The non-finite policy is not part of the checkpoint fingerprint: a state written under one
 * policy loads under another, including checkpoints of earlier versions that still carry the key.
 */
class PolicyFingerprintTest {
  @Test
  void aCheckpointWrittenUnderThrowLoadsUnderTheDefaultAndContinuesIdentically()
      throws IOException {
    try (NDManager m = NDManager.newBaseManager();
        BaseOptimizerAdapter writer = adapter(NonFinitePolicy.THROW);
        BaseOptimizerAdapter reader = adapter(NonFinitePolicy.GUARDED)) {
      NDArray w = m.randomNormal(new Shape(3, 4));
      for (int s = 0; s < 3; s++) {
        writer.update("w", w, m.randomNormal(new Shape(3, 4)));
      }
      assertFalse(writer.fingerprint().entries().containsKey("nonFinitePolicy"));
      byte[] saved = save(writer, w);
      reader.loadState(new ByteArrayInputStream(saved), ParameterSet.ofIds(Map.of("w", w)));
      assertArrayEquals(saved, save(reader, w));
    }
  }

  @Test
  void anOlderCheckpointsPolicyKeyIsIgnoredAndOtherKeysStillCount()
      throws InvalidCheckpointException {
    Fingerprint expected = Fingerprint.builder().put("base", "adamw").put("clipGrad", -1f).build();
    Fingerprint legacy = Fingerprint.builder().put("base", "adamw").put("clipGrad", -1f)
        .put("nonFinitePolicy", NonFinitePolicy.THROW).build();
    assertEquals(List.of(), StateBinding.bind(contents(legacy), "k", expected,
        ParameterSet.ofIds(Map.of())));
    Fingerprint other = Fingerprint.builder().put("base", "sgd").put("clipGrad", -1f)
        .put("nonFinitePolicy", NonFinitePolicy.THROW).build();
    InvalidCheckpointException e = assertThrows(InvalidCheckpointException.class,
        () -> StateBinding.bind(contents(other), "k", expected, ParameterSet.ofIds(Map.of())));
    assertTrue(e.getMessage().contains("base") && !e.getMessage().contains("nonFinitePolicy"),
        e.getMessage());
  }

  private static CheckpointContents contents(Fingerprint fingerprint) {
    return new CheckpointContents("k", fingerprint, Map.of(StateBinding.SKIPPED_UPDATES, 0L),
        List.of());
  }

  private static BaseOptimizerAdapter adapter(NonFinitePolicy policy) {
    return BaseOptimizerAdapter.builder().baseOptimizer(AdamW.builder().build())
        .nonFinitePolicy(policy).build();
  }

  private static byte[] save(BaseOptimizerAdapter opt, NDArray w) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    opt.saveState(out, ParameterSet.ofIds(Map.of("w", w)));
    return out.toByteArray();
  }
}
