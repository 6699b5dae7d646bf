package org.shampoo4j.adamw4;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.Blocking;
import org.shampoo4j.quant.QuantizationSettings;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.quant.linear2.ZeroFreeLinearMap;

/** AdamW's quantization settings: one value, its bits the default codebooks' width. */
class AdamW4BitConfigQuantizationTest {

  @Test
  void theDefaultsAreFourBitFlatBlocksOf128() {
    AdamW4BitConfig config = AdamW4BitConfig.defaults();
    assertEquals(QuantizationSettings.builder().bits(4).blockSize(128).blocking(Blocking.FLAT)
        .minQuantizedElements(4096).build(), config.quantization());
    assertEquals("blockwise(" + new DynamicTreeMap().codebook(4).id() + ", B=128)",
        config.firstMoment().describe());
    assertEquals("rank1(" + new ZeroFreeLinearMap().codebook(4).id() + ", vectors B=128)",
        config.secondMoment().describe());
  }

  @Test
  void theSettingsGiveTheDefaultCodebooksTheirWidthAndBothMomentsTheirBlocks() {
    QuantizationSettings settings = QuantizationSettings.builder().bits(3).blockSize(32)
        .blocking(Blocking.FLAT).minQuantizedElements(16).build();
    AdamW4BitConfig config = AdamW4BitConfig.builder().quantization(settings).build();
    assertEquals(settings, config.quantization());
    assertEquals("blockwise(" + new DynamicTreeMap().codebook(3).id() + ", B=32)",
        config.firstMoment().describe());
    assertEquals("rank1(" + new ZeroFreeLinearMap().codebook(3).id() + ", vectors B=32)",
        config.secondMoment().describe());
    // A codebook given to the builder keeps its own width.
    AdamW4BitConfig given = AdamW4BitConfig.builder().quantization(settings)
        .firstMomentCodebook(new Linear2Map().codebook(4)).build();
    assertEquals("blockwise(" + new Linear2Map().codebook(4).id() + ", B=32)",
        given.firstMoment().describe());
    // The per-field setters and the value agree.
    assertEquals(settings.toBuilder().bits(4).build(), AdamW4BitConfig.builder().blockSize(32)
        .minQuantizedElements(16).build().quantization());
  }
}
