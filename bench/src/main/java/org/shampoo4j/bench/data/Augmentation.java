package org.shampoo4j.bench.data;

import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * Training-image augmentation applied on the host to each batch: a random crop of the image
 * zero-padded by {@code padding} pixels on every side (a shift by up to {@code padding} pixels in
 * each direction) and a horizontal flip with probability 1/2, the standard CIFAR recipe (He et
 * al. 2016) and a common one for Fashion-MNIST, whose clothes are left-right symmetric. (Flips
 * suit neither digits nor letters; {@link #none()} leaves images unchanged.) The caller supplies
 * the random source, so a seeded run sees the same augmented batches in every variant. Immutable.
 */
public final class Augmentation {
  private static final Augmentation NONE = new Augmentation(0, false);

  private final int padding;
  private final boolean flip;

  private Augmentation(int padding, boolean flip) {
    this.padding = padding;
    this.flip = flip;
  }

  /** No augmentation. */
  public static Augmentation none() {
    return NONE;
  }

  /**
   * Random crop with {@code padding} pixels of zero padding, and horizontal flips.
   *
   * @throws IllegalArgumentException if {@code padding} is negative
   */
  public static Augmentation cropAndFlip(int padding) {
    if (padding < 0) {
      throw new IllegalArgumentException("crop padding must be non-negative, got " + padding);
    }
    return new Augmentation(padding, true);
  }

  /** Whether this augmentation changes nothing. */
  public boolean isNone() {
    return padding == 0 && !flip;
  }

  /**
   * Augments {@code count} images of {@code channels×height×width} stored image-major in {@code
   * pixels}, in place. Draws three values per image from {@code random} (none if this is {@link
   * #none()}).
   */
  public void apply(float[] pixels, int count, int channels, int height, int width,
      RandomGenerator random) {
    if (isNone()) {
      return;
    }
    int plane = height * width;
    float[] copy = new float[plane];
    for (int i = 0; i < count; i++) {
      int dy = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
      int dx = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
      boolean mirror = flip && random.nextBoolean();
      for (int c = 0; c < channels; c++) {
        int base = (i * channels + c) * plane;
        System.arraycopy(pixels, base, copy, 0, plane);
        for (int y = 0; y < height; y++) {
          int sy = y + dy;
          for (int x = 0; x < width; x++) {
            int sx = (mirror ? width - 1 - x : x) + dx;
            boolean inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
            pixels[base + y * width + x] = inside ? copy[sy * width + sx] : 0f;
          }
        }
      }
    }
  }

  @Override
  public String toString() {
    return isNone() ? "none"
        : String.format(Locale.ROOT, "random crop (padding %d) + horizontal flip", padding);
  }
}
