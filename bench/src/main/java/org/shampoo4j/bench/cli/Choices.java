package org.shampoo4j.bench.cli;

/** The closed choices of the bench's options that have no type elsewhere. */
final class Choices {
  private Choices() {}

  /** {@code --dataset}. */
  enum Dataset {
    /** The built-in UCI digits. */
    DIGITS,
    /** The seeded teacher-network task. */
    SYNTHETIC,
    /** Fashion-MNIST from a local directory. */
    FASHION_MNIST
  }

  /** {@code --device}. */
  enum DeviceKind {
    /** DJL's CPU device. */
    CPU,
    /** The first GPU (and the next ones with {@code --devices}). */
    GPU
  }

  /** {@code --distribution}. */
  enum DistributionKind {
    /** Every device keeps the whole optimizer state and repeats the step. */
    REPLICATED,
    /** Every preconditioner block has one owner device. */
    SHARDED
  }

  /** {@code --schedule}. */
  enum Schedule {
    /** The peak learning rate throughout. */
    CONSTANT,
    /** Linear warm-up, then cosine decay to 0. */
    COSINE
  }

  /** {@code --augment}. */
  enum Augment {
    /** The images as they are. */
    NONE,
    /** Random crop with zero padding and horizontal flip. */
    CROP_FLIP
  }

  /** {@code --data-on}. */
  enum DataPlacement {
    /** The data sets uploaded once; batches gathered and augmented on the device. */
    DEVICE,
    /** Batches assembled and augmented on the host and copied one by one. */
    HOST
  }

  /** An on/off option ({@code --fused-base}). */
  enum Switch {
    /** Switched on. */
    ON,
    /** Switched off. */
    OFF
  }
}
