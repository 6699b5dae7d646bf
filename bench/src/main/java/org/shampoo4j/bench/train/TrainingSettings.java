package org.shampoo4j.bench.train;

import ai.djl.Device;
import java.util.List;
import java.util.Objects;
import org.shampoo4j.bench.data.Augmentation;
import org.shampoo4j.shampoo.state.Setting;
import org.shampoo4j.shampoo.state.SettingList;

/** How each variant is trained: epochs, batch size, seed, device, progress output. Immutable. */
public final class TrainingSettings {
  private final int epochs;
  private final int batchSize;
  private final long seed;
  private final List<Device> devices;
  private final int width;
  private final boolean progress;
  private final Augmentation augmentation;
  private final boolean dataOnDevice;

  /*
   * Every field above, described once (TrainingSettingsTest fails for one missing): the
   * checkpointed ones enter a run checkpoint's setup (RunSetup); a resume may change the length,
   * the devices, the progress bars and where batches are assembled (the same images either way).
   */
  private static final SettingList<TrainingSettings> SETTINGS = SettingList.of(
      Setting.checkpointed("width", TrainingSettings::width),
      Setting.checkpointed("batch", TrainingSettings::batchSize),
      Setting.checkpointed("seed", TrainingSettings::seed),
      Setting.checkpointed("augmentation", TrainingSettings::augmentation),
      Setting.runtime("epochs", TrainingSettings::epochs),
      Setting.runtime("devices", TrainingSettings::devices),
      Setting.runtime("progress", TrainingSettings::progress),
      Setting.runtime("dataOnDevice", TrainingSettings::dataOnDevice));

  private TrainingSettings(Builder b) {
    this.dataOnDevice = b.dataOnDevice;
    this.epochs = b.epochs;
    this.batchSize = b.batchSize;
    this.seed = b.seed;
    this.devices = List.copyOf(b.devices);
    this.width = b.width;
    this.progress = b.progress;
    this.augmentation = b.augmentation;
  }

  /**
   * A builder: 10 epochs, batch 64, seed 42, CPU, width 128, progress bars on, no augmentation,
   * data on the device.
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Every setting, described once: the {@link Setting.Role#CHECKPOINTED} ones are part of a run
   * checkpoint's {@link RunSetup}, the {@link Setting.Role#RUNTIME} ones may change on resume.
   */
  public static SettingList<TrainingSettings> settings() {
    return SETTINGS;
  }

  /** Passes over the training set. */
  public int epochs() {
    return epochs;
  }

  /** Images per optimizer step (the last batch of an epoch may be smaller). */
  public int batchSize() {
    return batchSize;
  }

  /** Seed of the weight initialisation and of the batch order (the same for every variant). */
  public long seed() {
    return seed;
  }

  /** Where the model lives: the first training device (DJL's device 0, which sums gradients). */
  public Device device() {
    return devices.get(0);
  }

  /**
   * The training devices, in DJL's order: the trainer gets them as {@code optDevices}, and DJL
   * splits every batch across them.
   */
  public List<Device> devices() {
    return devices;
  }

  /** Model width (MLP hidden units; ResNet: four times the stem's channels). */
  public int width() {
    return width;
  }

  /** Whether to draw progress bars on the terminal. */
  public boolean progress() {
    return progress;
  }

  /** How training images are augmented (test images never are). */
  public Augmentation augmentation() {
    return augmentation;
  }

  /**
   * Whether the data sets are copied to the training device once and batches are gathered and
   * augmented there ({@link org.shampoo4j.bench.data.DeviceImages}); otherwise each batch is
   * assembled and augmented on the host and copied (the same images either way).
   */
  public boolean dataOnDevice() {
    return dataOnDevice;
  }

  /** Builder of {@link TrainingSettings}. */
  public static final class Builder {
    private int epochs = 10;
    private int batchSize = 64;
    private long seed = 42;
    private List<Device> devices = List.of(Device.cpu());
    private int width = 128;
    private boolean progress = true;
    private Augmentation augmentation = Augmentation.none();
    private boolean dataOnDevice = true;

    private Builder() {}

    /** Data on the training device (default) or batches copied from the host per step. */
    public Builder dataOnDevice(boolean dataOnDevice) {
      this.dataOnDevice = dataOnDevice;
      return this;
    }

    /** Training-image augmentation. */
    public Builder augmentation(Augmentation augmentation) {
      this.augmentation = Objects.requireNonNull(augmentation, "augmentation");
      return this;
    }

    /** Epochs, positive. */
    public Builder epochs(int epochs) {
      if (epochs < 1) {
        throw new IllegalArgumentException("epochs must be positive, got " + epochs);
      }
      this.epochs = epochs;
      return this;
    }

    /** Batch size, positive. */
    public Builder batchSize(int batchSize) {
      if (batchSize < 1) {
        throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
      }
      this.batchSize = batchSize;
      return this;
    }

    /** Seed. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** One training device. */
    public Builder device(Device device) {
      return devices(List.of(Objects.requireNonNull(device, "device")));
    }

    /**
     * The training devices (DJL multi-device training when more than one), distinct.
     *
     * @throws IllegalArgumentException if the list is empty or repeats a device
     */
    public Builder devices(List<Device> devices) {
      if (devices.isEmpty() || new java.util.HashSet<>(devices).size() != devices.size()) {
        throw new IllegalArgumentException("training devices must be distinct and at least one, "
            + "got " + devices);
      }
      this.devices = List.copyOf(devices);
      return this;
    }

    /** Model width, at least 4. */
    public Builder width(int width) {
      if (width < 4) {
        throw new IllegalArgumentException("model width must be at least 4, got " + width);
      }
      this.width = width;
      return this;
    }

    /** Progress bars on or off. */
    public Builder progress(boolean progress) {
      this.progress = progress;
      return this;
    }

    /** Builds the settings. */
    public TrainingSettings build() {
      return new TrainingSettings(this);
    }
  }
}
