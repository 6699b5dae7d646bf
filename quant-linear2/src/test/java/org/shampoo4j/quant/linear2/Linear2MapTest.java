package org.shampoo4j.quant.linear2;

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

class Linear2MapTest {
  private final Linear2Map map = new Linear2Map();

  @Test
  void fourBitValuesMatchSpec() {
    float[] spec = {
      -1f, -0.7511f, -0.5378f, -0.36f, -0.2178f, -0.1111f, -0.04f, 0f,
      0.0044f, 0.04f, 0.1111f, 0.2178f, 0.36f, 0.5378f, 0.7511f, 1f
    };
    Codebook cb = map.codebook(4);
    assertEquals("linear2/4", cb.id());
    assertArrayEquals(spec, cb.values(), 5e-5f);
  }

  @Test
  void threeBitValuesFollowTheRule() {
    // t = -1, -5/7, -3/7, -1/7 (zeroed), 1/7, 3/7, 5/7, 1; c = sign(t) t^2.
    float[] expected = {
      -1f, -25f / 49, -9f / 49, 0f, 1f / 49, 9f / 49, 25f / 49, 1f
    };
    assertArrayEquals(expected, map.codebook(3).values(), 1e-6f);
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 4, 5, 6, 7, 8})
  void buildsStrictlyIncreasingValuesInUnitIntervalWithExactZeroAndEnds(int bits) {
    float[] v = map.codebook(bits).values();
    assertEquals(1 << bits, v.length);
    assertEquals(-1f, v[0]);
    assertEquals(1f, v[v.length - 1]);
    assertEquals(0f, v[(v.length >> 1) - 1]);
    for (int j = 1; j < v.length; j++) {
      assertTrue(v[j - 1] < v[j], "value " + j + " must exceed value " + (j - 1));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 0, 1, 9, 16})
  void rejectsUnsupportedWidthsWithTheReason(int bits) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> map.codebook(bits));
    assertTrue(e.getMessage().contains("Linear-2") && e.getMessage().contains("" + bits),
        e.getMessage());
  }

  @Test
  void guiceModuleBindsTheMap() {
    QuantizationMap bound =
        Guice.createInjector(new Linear2Module()).getInstance(QuantizationMap.class);
    assertEquals(Linear2Map.NAME, bound.name());
    assertEquals(map.codebook(4), bound.codebook(4));
  }

  /**
   * The values are the official code's float32 torch construction bit for bit (docs/algorithms.md §8): expected
   * patterns printed by torch 1.13 (CPU) running the official construction; at 8 bits a spread of
   * codes.
   */
  @Test
  void valuesAreTheOfficialFloat32ConstructionBitForBit() {
    Linear2Map map = new Linear2Map();
    QuantizerChecks.assertValueBits(map, 3, null, new int[] {
        0xbf800000, 0xbf029cbc, 0xbe3c14e4, 0x00000000, 0x3ca72eff, 0x3e3c14e4,
        0x3f029cbc, 0x3f800000,
    });
    QuantizerChecks.assertValueBits(map, 4, null, new int[] {
        0xbf800000, 0xbf4048d2, 0xbf09abce, 0xbeb851ea, 0xbe5f0122, 0xbde38e37,
        0xbd23d703, 0x00000000, 0x3b91a2a6, 0x3d23d706, 0x3de38e37, 0x3e5f0122,
        0x3eb851ea, 0x3f09abcd, 0x3f4048d2, 0x3f800000,
    });
    QuantizerChecks.assertValueBits(map, 8, new int[] {
        0, 17, 34, 51, 68, 85, 102, 119, 136, 153, 170, 187,
        204, 221, 238, 255, 100, 130, 155,
    }, new int[] {
        0xbf800000, 0xbf4048d2, 0xbf09abce, 0xbeb851ea, 0xbe5f0122, 0xbde38e37,
        0xbd23d706, 0xbb91a2a4, 0x3b91a2a4, 0x3d23d706, 0x3de38e34, 0x3e5f0122,
        0x3eb851ea, 0x3f09abcd, 0x3f4048d2, 0x3f800000, 0xbd3e8c55, 0x39c9920e,
        0x3d3e8c55,
    });
  }
}
