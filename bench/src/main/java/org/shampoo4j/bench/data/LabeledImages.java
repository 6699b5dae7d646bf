package org.shampoo4j.bench.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A set of labelled images held on the host: {@code size} images of {@code channels×height×width}
 * pixels scaled to [0, 1] (or any finite value for synthetic data), and class labels in
 * {@code [0, classes)}. Immutable: accessors return copies or read single values.
 */
public final class LabeledImages {
  private final String name;
  private final float[] pixels;
  private final int[] labels;
  private final int channels;
  private final int height;
  private final int width;
  private final int classes;

  /**
   * Wraps pixels and labels after checking that they agree.
   *
   * @param name a name for reports, for example {@code digits/train}
   * @param pixels {@code labels.length·channels·height·width} values, image-major, row-major
   * @param labels one label per image, each in {@code [0, classes)}
   * @param channels channels per image
   * @param height image height
   * @param width image width
   * @param classes number of classes
   */
  public LabeledImages(
      String name, float[] pixels, int[] labels, int channels, int height, int width, int classes) {
    this.name = Objects.requireNonNull(name, "name");
    Objects.requireNonNull(pixels, "pixels");
    Objects.requireNonNull(labels, "labels");
    if (channels <= 0 || height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          name + ": image shape must be positive, got " + channels + "x" + height + "x" + width);
    }
    if (classes < 2) {
      throw new IllegalArgumentException(name + ": need at least 2 classes, got " + classes);
    }
    long expected = (long) labels.length * channels * height * width;
    if (pixels.length != expected) {
      throw new IllegalArgumentException(
          name + ": " + labels.length + " images of " + channels + "x" + height + "x" + width
              + " need " + expected + " pixel values, got " + pixels.length);
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException(
            name + ": label of image " + i + " is " + labels[i] + ", outside [0, " + classes + ")");
      }
    }
    for (int i = 0; i < pixels.length; i++) {
      if (!Float.isFinite(pixels[i])) {
        throw new IllegalArgumentException(name + ": pixel value " + i + " is " + pixels[i]);
      }
    }
    this.pixels = pixels.clone();
    this.labels = labels.clone();
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.classes = classes;
  }

  /** The name used in reports. */
  public String name() {
    return name;
  }

  /** Number of images. */
  public int size() {
    return labels.length;
  }

  /** Channels per image. */
  public int channels() {
    return channels;
  }

  /** Image height in pixels. */
  public int height() {
    return height;
  }

  /** Image width in pixels. */
  public int width() {
    return width;
  }

  /** Values per image: {@code channels·height·width}. */
  public int features() {
    return channels * height * width;
  }

  /** Number of classes. */
  public int classes() {
    return classes;
  }

  /** The label of image {@code index}. */
  public int label(int index) {
    return labels[index];
  }

  /** A copy of all labels. */
  public int[] labels() {
    return labels.clone();
  }

  /** A copy of the pixels of image {@code index}. */
  public float[] image(int index) {
    Objects.checkIndex(index, labels.length);
    int f = features();
    return Arrays.copyOfRange(pixels, index * f, (index + 1) * f);
  }

  /** How many images carry each label. */
  public int[] classCounts() {
    int[] counts = new int[classes];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }

  /** The first {@code count} images (all of them if {@code count >= size()}). */
  public LabeledImages head(int count) {
    if (count < 1) {
      throw new IllegalArgumentException(name + ": subset size must be positive, got " + count);
    }
    if (count >= size()) {
      return this;
    }
    int[] idx = new int[count];
    Arrays.setAll(idx, i -> i);
    return select(name, idx);
  }

  /**
   * The images at {@code indices}, in that order.
   *
   * @param newName the subset's name
   * @param indices image indices, each in {@code [0, size())}
   */
  public LabeledImages select(String newName, int[] indices) {
    int f = features();
    float[] p = new float[indices.length * f];
    int[] l = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      int src = Objects.checkIndex(indices[i], labels.length);
      System.arraycopy(pixels, src * f, p, i * f, f);
      l[i] = labels[src];
    }
    return new LabeledImages(newName, p, l, channels, height, width, classes);
  }

  /**
   * A batch of images as an {@code (n, channels, height, width)} float32 array on the manager's
   * device, for the images at {@code indices[from, to)}.
   */
  public NDArray imageBatch(NDManager manager, int[] indices, int from, int to) {
    return imageBatch(manager, indices, from, to, Augmentation.none(), null);
  }

  /**
   * Like {@link #imageBatch(NDManager, int[], int, int)}, with the images augmented on the host
   * first (the stored pixels are not changed).
   *
   * @param random the source of the augmentation's choices (unused for {@link
   *     Augmentation#none()})
   */
  public NDArray imageBatch(NDManager manager, int[] indices, int from, int to,
      Augmentation augmentation, RandomGenerator random) {
    int f = features();
    float[] p = new float[(to - from) * f];
    for (int i = from; i < to; i++) {
      System.arraycopy(pixels, indices[i] * f, p, (i - from) * f, f);
    }
    augmentation.apply(p, to - from, channels, height, width, random);
    return manager.create(p, new Shape(to - from, channels, height, width));
  }

  /** The labels at {@code indices[from, to)} as an int32 array on the manager's device. */
  public NDArray labelBatch(NDManager manager, int[] indices, int from, int to) {
    int[] l = new int[to - from];
    for (int i = from; i < to; i++) {
      l[i - from] = labels[indices[i]];
    }
    return manager.create(l);
  }

  @Override
  public String toString() {
    return name + "[" + size() + " images " + channels + "x" + height + "x" + width + ", "
        + classes + " classes]";
  }
}
