package org.shampoo4j.bench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class DeviceImagesTest {
  /**
   * The device path (an epoch's order and choices uploaded, batches gathered, cropped and flipped
   * on the device) gives exactly the host path's images and labels: the same seeded generators,
   * the host path drawing per batch as the bench did before the data moved to the device.
   */
  @Property(tries = 25, seed = "22")
  void deviceBatchesEqualTheHostPathsImagesBitForBit(
      @ForAll @IntRange(min = 0, max = 4) int padding,
      @ForAll boolean augment,
      @ForAll @IntRange(min = 1, max = 3) int channels,
      @ForAll @IntRange(min = 1, max = 9) int side,
      @ForAll @IntRange(min = 1, max = 40) int size,
      @ForAll @IntRange(min = 1, max = 16) int batch,
      @ForAll long seed) {
    LabeledImages images = randomImages(size, channels, side, side + 1, seed);
    Augmentation augmentation = augment ? Augmentation.cropAndFlip(padding) : Augmentation.none();
    int[] order = Shuffle.permutation(size, new Random(seed));
    Random hostRandom = new Random(seed + 1);
    Random deviceRandom = new Random(seed + 1);
    try (NDManager m = NDManager.newBaseManager();
        DeviceImages onDevice = DeviceImages.upload(images, augmentation, m)) {
      DeviceImages.Epoch epoch =
          onDevice.epoch(order, augmentation.draw(size, deviceRandom), m);
      for (int from = 0; from < size; from += batch) {
        int to = Math.min(size, from + batch);
        NDArray host = images.imageBatch(m, order, from, to, augmentation, hostRandom);
        NDArray device = epoch.images(m, from, to);
        assertEquals(host.getShape(), device.getShape());
        assertArrayEquals(host.toFloatArray(), device.toFloatArray(),
            "batch [" + from + ", " + to + ")");
        assertArrayEquals(images.labelBatch(m, order, from, to).toIntArray(),
            epoch.labels(m, from, to).toIntArray());
      }
    }
    // Both paths drew the same number of values: the generators are in the same state.
    assertEquals(hostRandom.nextLong(), deviceRandom.nextLong());
  }

  @Test
  void inOrderSlicesAreTheStoredImagesUnpaddedAndUnaugmented() {
    LabeledImages images = randomImages(7, 2, 5, 4, 3);
    int[] all = {0, 1, 2, 3, 4, 5, 6};
    try (NDManager m = NDManager.newBaseManager();
        DeviceImages onDevice = DeviceImages.upload(images, Augmentation.cropAndFlip(2), m)) {
      assertArrayEquals(images.imageBatch(m, all, 2, 6).toFloatArray(),
          onDevice.imagesInOrder(m, 2, 6).toFloatArray());
      assertArrayEquals(images.labelBatch(m, all, 2, 6).toIntArray(),
          onDevice.labelsInOrder(m, 2, 6).toIntArray());
    }
  }

  private static LabeledImages randomImages(int n, int channels, int height, int width,
      long seed) {
    Random r = new Random(seed);
    float[] pixels = new float[n * channels * height * width];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = 1 + r.nextInt(255); // no zeros, so padding cannot pass for a pixel
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(3);
    }
    return new LabeledImages("random", pixels, labels, channels, height, width, 3);
  }
}
