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

  /** Pixels of zero padding around each image before the crop (0 for {@link #none()}). */
  public int padding() {
    return padding;
  }

  /**
   * Draws the choices for {@code count} images from {@code random}, three values per image in
   * image order (row shift, column shift, mirror), exactly as {@link #apply} draws them: the
   * device-side batches ({@link DeviceImages}) replay these choices and so give the same images.
   * Draws nothing if this is {@link #none()}.
   */
  public Choices draw(int count, RandomGenerator random) {
    int[] dy = new int[count];
    int[] dx = new int[count];
    boolean[] mirror = new boolean[count];
    if (!isNone()) {
      for (int i = 0; i < count; i++) {
        dy[i] = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
        dx[i] = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
        mirror[i] = flip && random.nextBoolean();
      }
    }
    return new Choices(dy, dx, mirror);
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
    Choices choices = draw(count, random);
    int plane = height * width;
    float[] copy = new float[plane];
    for (int i = 0; i < count; i++) {
      int dy = choices.rowShift(i);
      int dx = choices.columnShift(i);
      boolean mirror = choices.mirrored(i);
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

  /**
   * The random choices of a run of images: output pixel {@code (y, x)} of image {@code i} is input
   * pixel {@code (y + rowShift(i), x' + columnShift(i))}, where {@code x'} is {@code x}, or
   * {@code width − 1 − x} if the image is mirrored; zero outside the image. Immutable.
   */
  public static final class Choices {
    private final int[] dy;
    private final int[] dx;
    private final boolean[] mirror;

    private Choices(int[] dy, int[] dx, boolean[] mirror) {
      this.dy = dy;
      this.dx = dx;
      this.mirror = mirror;
    }

    /** Number of images. */
    public int count() {
      return dy.length;
    }

    /** Vertical shift of image {@code i}. */
    public int rowShift(int i) {
      return dy[i];
    }

    /** Horizontal shift of image {@code i}, applied after the mirror. */
    public int columnShift(int i) {
      return dx[i];
    }

    /** Whether image {@code i} is mirrored left to right. */
    public boolean mirrored(int i) {
      return mirror[i];
    }
  }

  @Override
  public String toString() {
    return isNone() ? "none"
        : String.format(Locale.ROOT, "random crop (padding %d) + horizontal flip", padding);
  }
}
