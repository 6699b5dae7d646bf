package org.shampoo4j.bench.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * A set of labelled images copied to a device once, so that training reads its batches there
 * without a host→device copy per step (on a GPU PyTorch performs such a copy synchronously: the
 * host waits for the device's queue to drain). The images are stored zero-padded by the
 * augmentation's padding, {@code (n, channels, height + 2p, width + 2p)} float32, with int32
 * labels.
 *
 * <p>Per epoch, {@link #epoch} uploads the epoch's image order and the crop rows and columns of
 * every image (drawn on the host by {@link Augmentation#draw}, the same choices
 * {@link Augmentation#apply} makes); per step, {@link Epoch#images} gathers the batch's images by
 * index and crops and mirrors them with two gathers, all on the device. The result equals, pixel
 * for pixel, the host path ({@link LabeledImages#imageBatch(NDManager, int[], int, int,
 * Augmentation, java.util.random.RandomGenerator)}) with the same random choices: the gathers only copy values.
 *
 * <p>Closing this closes its device arrays.
 */
public final class DeviceImages implements AutoCloseable {
  private final NDManager manager;
  private final NDArray images;
  private final NDArray labels;
  private final Augmentation augmentation;
  private final int size;
  private final int channels;
  private final int height;
  private final int width;

  private DeviceImages(NDManager manager, NDArray images, NDArray labels,
      Augmentation augmentation, LabeledImages source) {
    this.manager = manager;
    this.images = images;
    this.labels = labels;
    this.augmentation = augmentation;
    this.size = source.size();
    this.channels = source.channels();
    this.height = source.height();
    this.width = source.width();
  }

  /**
   * Copies {@code source} to {@code parent}'s device (one upload of its pixels and labels), padded
   * for {@code augmentation}.
   *
   * @param parent the manager whose device receives the images; the arrays live in a sub-manager
   *     that {@link #close()} closes
   */
  public static DeviceImages upload(LabeledImages source, Augmentation augmentation,
      NDManager parent) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(augmentation, "augmentation");
    NDManager manager = parent.newSubManager();
    try {
      int[] all = identity(source.size());
      NDArray pixels = source.imageBatch(manager, all, 0, all.length);
      int p = augmentation.isNone() ? 0 : augmentation.padding();
      if (p > 0) {
        // Zero padding of the last two axes once, so that a crop is a pure gather per step.
        NDArray padded = pixels.pad(new Shape(p, p, p, p), 0);
        pixels.close();
        pixels = padded;
      }
      NDArray labels = source.labelBatch(manager, all, 0, all.length);
      return new DeviceImages(manager, pixels, labels, augmentation, source);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** Number of images. */
  public int size() {
    return size;
  }

  /**
   * The {@code [from, to)} images in stored order, not augmented, as {@code (to − from,
   * channels, height, width)}, attached to {@code m}.
   */
  public NDArray imagesInOrder(NDManager m, int from, int to) {
    checkRange(from, to);
    int p = padding();
    return images.get(m, new NDIndex("{}:{}, :, {}:{}, {}:{}", from, to, p, p + height, p,
        p + width));
  }

  /** The labels of the {@code [from, to)} images in stored order (int32), attached to {@code m}. */
  public NDArray labelsInOrder(NDManager m, int from, int to) {
    checkRange(from, to);
    return labels.get(m, new NDIndex("{}:{}", from, to));
  }

  /**
   * Uploads one epoch's image order and augmentation choices (one host→device copy of each),
   * for the batches of that epoch.
   *
   * @param order a permutation of the images (or any indices into them), in batch order
   * @param choices the augmentation's choices for the images in {@code order}'s order (ignored
   *     for {@link Augmentation#none()})
   * @param m the manager of the epoch's arrays (closed by the caller after the epoch)
   */
  public Epoch epoch(int[] order, Augmentation.Choices choices, NDManager m) {
    long[] idx = new long[order.length];
    for (int i = 0; i < order.length; i++) {
      idx[i] = Objects.checkIndex(order[i], size);
    }
    NDArray orderOnDevice = m.create(idx);
    if (augmentation.isNone()) {
      return new Epoch(order.length, orderOnDevice, null, null);
    }
    if (choices.count() != order.length) {
      throw new IllegalArgumentException(
          choices.count() + " augmentation choices for " + order.length + " images");
    }
    int p = padding();
    // Row y of image i's output is padded row p + y + dy; column x is p + x' + dx, x' mirrored.
    long[] rows = new long[order.length * height];
    long[] cols = new long[order.length * width];
    for (int i = 0; i < order.length; i++) {
      for (int y = 0; y < height; y++) {
        rows[i * height + y] = p + y + choices.rowShift(i);
      }
      for (int x = 0; x < width; x++) {
        cols[i * width + x] = p + (choices.mirrored(i) ? width - 1 - x : x)
            + choices.columnShift(i);
      }
    }
    return new Epoch(order.length, orderOnDevice,
        m.create(rows, new Shape(order.length, height)),
        m.create(cols, new Shape(order.length, width)));
  }

  private int padding() {
    return augmentation.isNone() ? 0 : augmentation.padding();
  }

  private void checkRange(int from, int to) {
    if (from < 0 || to > size || from >= to) {
      throw new IndexOutOfBoundsException("images [" + from + ", " + to + ") of " + size);
    }
  }

  private static int[] identity(int n) {
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    return all;
  }

  @Override
  public void close() {
    manager.close();
  }

  /** One epoch's batches: device-side slices and gathers, no host→device copy per batch. */
  public final class Epoch {
    private final int length;
    private final NDArray order;
    private final NDArray rows;
    private final NDArray cols;

    private Epoch(int length, NDArray order, NDArray rows, NDArray cols) {
      this.length = length;
      this.order = order;
      this.rows = rows;
      this.cols = cols;
    }

    /** Images in this epoch's order. */
    public int length() {
      return length;
    }

    /**
     * The augmented images at positions {@code [from, to)} of the epoch's order, {@code (to −
     * from, channels, height, width)} float32, attached to {@code m}.
     */
    public NDArray images(NDManager m, int from, int to) {
      checkPositions(from, to);
      int n = to - from;
      NDArray idx = order.get(m, new NDIndex("{}:{}", from, to));
      NDArray x = images.get(m, new NDIndex("{}", idx));
      if (rows == null) {
        return x;
      }
      int p = padding();
      long paddedWidth = width + 2L * p;
      NDArray r = rows.get(m, new NDIndex("{}:{}", from, to))
          .reshape(n, 1, height, 1).broadcast(n, channels, height, paddedWidth);
      NDArray c = cols.get(m, new NDIndex("{}:{}", from, to))
          .reshape(n, 1, 1, width).broadcast(n, channels, height, width);
      return x.gather(r, 2).gather(c, 3);
    }

    /** The labels (int32) at positions {@code [from, to)} of the epoch's order. */
    public NDArray labels(NDManager m, int from, int to) {
      checkPositions(from, to);
      NDArray idx = order.get(m, new NDIndex("{}:{}", from, to));
      return labels.get(m, new NDIndex("{}", idx));
    }

    private void checkPositions(int from, int to) {
      if (from < 0 || to > length || from >= to) {
        throw new IndexOutOfBoundsException("positions [" + from + ", " + to + ") of " + length);
      }
    }
  }
}
