package org.shampoo4j.bench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class AugmentationTest {
  @Property(tries = 100, seed = "21")
  void eachImageIsAShiftedOrMirroredCopyOfItselfWithZerosOutside(
      @ForAll @IntRange(min = 0, max = 4) int padding,
      @ForAll @IntRange(min = 1, max = 9) int height,
      @ForAll @IntRange(min = 1, max = 9) int width,
      @ForAll @IntRange(min = 1, max = 3) int channels,
      @ForAll long seed) {
    Random r = new Random(seed);
    int count = 3;
    float[] original = new float[count * channels * height * width];
    for (int i = 0; i < original.length; i++) {
      original[i] = 1 + r.nextInt(100); // no zeros, so a zero marks padding
    }
    float[] out = original.clone();
    Augmentation.cropAndFlip(padding).apply(out, count, channels, height, width, new Random(seed));
    for (int i = 0; i < count; i++) {
      boolean found = false;
      for (int dy = -padding; dy <= padding && !found; dy++) {
        for (int dx = -padding; dx <= padding && !found; dx++) {
          for (boolean mirror : new boolean[] {false, true}) {
            if (matches(original, out, i, channels, height, width, dy, dx, mirror)) {
              found = true;
              break;
            }
          }
        }
      }
      assertTrue(found, "image " + i + " is a crop of the padded image, maybe mirrored");
    }
    // Same seed, same result: every variant sees the same batches.
    float[] again = original.clone();
    Augmentation.cropAndFlip(padding).apply(again, count, channels, height, width,
        new Random(seed));
    assertArrayEquals(out, again);
  }

  private static boolean matches(float[] src, float[] dst, int img, int channels, int h, int w,
      int dy, int dx, boolean mirror) {
    for (int c = 0; c < channels; c++) {
      int base = (img * channels + c) * h * w;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int sy = y + dy;
          int sx = (mirror ? w - 1 - x : x) + dx;
          float expected = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[base + sy * w + sx] : 0f;
          if (dst[base + y * w + x] != expected) {
            return false;
          }
        }
      }
    }
    return true;
  }

  @Test
  void flipsAboutHalfTheImagesAndShiftsThemAll() {
    int n = 2000;
    float[] px = new float[n * 4];
    for (int i = 0; i < n; i++) {
      px[i * 4] = 1f; // a 1x4 image: 1 0 0 0
    }
    Augmentation.cropAndFlip(0).apply(px, n, 1, 1, 4, new Random(3));
    long flipped = 0;
    for (int i = 0; i < n; i++) {
      flipped += px[i * 4 + 3] == 1f ? 1 : 0;
    }
    assertTrue(flipped > 900 && flipped < 1100, flipped + " of " + n + " flipped");
  }

  @Test
  void noneChangesNothingAndDrawsNothing() {
    float[] px = {1, 2, 3, 4};
    Random r = new Random(5);
    Augmentation.none().apply(px, 1, 1, 2, 2, r);
    assertArrayEquals(new float[] {1, 2, 3, 4}, px);
    assertEquals(new Random(5).nextInt(), r.nextInt(), "no random numbers consumed");
    assertTrue(Augmentation.none().isNone());
    assertThrows(IllegalArgumentException.class, () -> Augmentation.cropAndFlip(-1));
  }
}
