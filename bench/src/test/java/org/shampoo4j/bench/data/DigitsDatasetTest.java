package org.shampoo4j.bench.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DigitsDatasetTest {
  @Test
  void loadsAll1797ImagesOf64PixelsAndTenClasses() {
    LabeledImages digits = DigitsDataset.load();
    System.out.println("digits: " + digits + ", class counts " + Arrays.toString(digits.classCounts()));
    assertEquals(1797, digits.size());
    assertEquals(64, digits.features());
    assertEquals(10, digits.classes());
    assertTrue(Arrays.stream(digits.classCounts()).allMatch(c -> c >= 170 && c <= 190),
        "each digit appears about 180 times");
    float min = Float.MAX_VALUE;
    float max = -Float.MAX_VALUE;
    for (int i = 0; i < digits.size(); i++) {
      for (float v : digits.image(i)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    assertEquals(0f, min);
    assertEquals(1f, max);
    // First row of the UCI file: a zero, label 0, pixel 2 = 5/16.
    assertEquals(0, digits.label(0));
    assertEquals(5f / 16f, digits.image(0)[2]);
  }

  @Test
  void seededSplitIsDisjointCompleteAndReproducible() {
    TrainTestSplit a = DigitsDataset.split(0.2, 7);
    TrainTestSplit b = DigitsDataset.split(0.2, 7);
    TrainTestSplit c = DigitsDataset.split(0.2, 8);
    assertEquals(1797, a.train().size() + a.test().size());
    assertEquals(359, a.test().size());
    assertTrue(Arrays.equals(a.test().labels(), b.test().labels()));
    assertTrue(Arrays.equals(a.test().image(5), b.test().image(5)));
    assertTrue(!Arrays.equals(a.test().labels(), c.test().labels()), "another seed, another order");
  }

  @Test
  void syntheticTaskIsSeededAndUsesSeveralClasses() {
    TrainTestSplit a = SyntheticDataset.generate(500, 100, 3);
    TrainTestSplit b = SyntheticDataset.generate(500, 100, 3);
    assertTrue(Arrays.equals(a.train().labels(), b.train().labels()));
    assertTrue(Arrays.equals(a.test().image(9), b.test().image(9)));
    long used = Arrays.stream(a.train().classCounts()).filter(n -> n > 0).count();
    System.out.println("synthetic class counts " + Arrays.toString(a.train().classCounts()));
    assertTrue(used >= 5, "the teacher spreads labels over several classes, got " + used);
  }
}
