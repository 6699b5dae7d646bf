package org.shampoo4j.quant.dynamictree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.quant.testing.QuantizerChecks;

class DynamicTreeMapTest {
  private final DynamicTreeMap map = new DynamicTreeMap();

  @Test
  void fourBitValuesMatchSpec() {
    float[] spec = {
      -0.8875f, -0.6625f, -0.4375f, -0.2125f, -0.0775f, -0.0325f, -0.0055f, 0f,
      0.0055f, 0.0325f, 0.0775f, 0.2125f, 0.4375f, 0.6625f, 0.8875f, 1f
    };
    Codebook cb = map.codebook(4);
    assertEquals("dynamic-tree/4", cb.id());
    assertArrayEquals(spec, cb.values(), 5e-5f);
  }

  @Test
  void threeBitValuesFollowTheRule() {
    // Exponent levels: 10^-1 · {0.55}, 10^0 · {0.325, 0.775}; plus 0 and 1.
    float[] expected = {-0.775f, -0.325f, -0.055f, 0f, 0.055f, 0.325f, 0.775f, 1f};
    assertArrayEquals(expected, map.codebook(3).values(), 1e-6f);
  }

  @Test
  void eightBitMapSpansSevenDecades() {
    float[] v = map.codebook(8).values();
    // Smallest magnitude: 10^-6 · 0.55; largest below 1: midpoint of the last of 64 intervals.
    assertEquals(0.55e-6, v[128], 1e-12);
    assertEquals(-(0.1 + 0.9 * 127.0 / 128), v[0], 1e-6);
    assertEquals(0f, v[127]);
    assertEquals(1f, v[255]);
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 4, 5, 6, 7, 8})
  void buildsStrictlyIncreasingValuesInUnitIntervalSymmetricBelowOne(int bits) {
    float[] v = map.codebook(bits).values();
    int size = 1 << bits;
    assertEquals(size, v.length);
    assertEquals(1f, v[size - 1]);
    assertEquals(0f, v[size / 2 - 1]);
    for (int j = 1; j < size; j++) {
      assertTrue(v[j - 1] < v[j], "value " + j + " must exceed value " + (j - 1));
    }
    for (int j = 0; j < size / 2 - 1; j++) {
      assertEquals(-v[j], v[size - 2 - j], "the map is symmetric apart from the extra 1");
    }
    assertTrue(v[0] >= -1f);
  }

  @ParameterizedTest
  @ValueSource(ints = {-3, 0, 1, 9})
  void rejectsUnsupportedWidthsWithTheReason(int bits) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> map.codebook(bits));
    assertTrue(e.getMessage().contains("dynamic tree") && e.getMessage().contains("" + bits),
        e.getMessage());
  }

  @Test
  void guiceModuleBindsTheMap() {
    QuantizationMap bound =
        Guice.createInjector(new DynamicTreeModule()).getInstance(QuantizationMap.class);
    assertEquals(DynamicTreeMap.NAME, bound.name());
    assertEquals(map.codebook(4), bound.codebook(4));
  }

  /**
   * The values are the official code's float32 torch construction bit for bit (docs/algorithms.md §8): expected
   * patterns printed by torch 1.13 (CPU) running the official construction; at 8 bits a spread of
   * codes.
   */
  @Test
  void valuesAreTheOfficialFloat32ConstructionBitForBit() {
    DynamicTreeMap map = new DynamicTreeMap();
    QuantizerChecks.assertValueBits(map, 3, null, new int[] {
        0xbf466666, 0xbea66667, 0xbd6147af, 0x00000000, 0x3d6147af, 0x3ea66667,
        0x3f466666, 0x3f800000,
    });
    QuantizerChecks.assertValueBits(map, 4, null, new int[] {
        0xbf633333, 0xbf29999a, 0xbee00000, 0xbe599999, 0xbd9eb852, 0xbd051eb9,
        0xbbb43958, 0x00000000, 0x3bb43958, 0x3d051eb9, 0x3d9eb852, 0x3e599999,
        0x3ee00000, 0x3f29999a, 0x3f633333, 0x3f800000,
    });
    QuantizerChecks.assertValueBits(map, 8, new int[] {
        0, 17, 34, 51, 68, 85, 102, 119, 136, 153, 170, 187,
        204, 221, 238, 255, 100, 130, 155,
    }, new int[] {
        0xbf7e3333, 0xbf410000, 0xbf03cccd, 0xbe8d3334, 0xbdb2e148, 0xbd21eb85,
        0xbbcfdf3b, 0xb923d70b, 0x398ce705, 0x3be24dd3, 0x3d2d70a3, 0x3db8a3d7,
        0x3e946666, 0x3f076666, 0x3f44999a, 0x3f800000, 0xbbf4bc6a, 0x370205ff,
        0x3c039581,
    });
  }
}
