package org.shampoo4j.bench.model;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/** The models the bench trains, built from DJL blocks. */
public enum ModelKind {
  /** Flatten, two hidden ReLU layers of {@code width} units, a linear classifier. */
  MLP {
    @Override
    public Block build(int width, int classes) {
      checkWidth(width);
      return new SequentialBlock()
          .add(Blocks.batchFlattenBlock())
          .add(Linear.builder().setUnits(width).build())
          .add(Activation.reluBlock())
          .add(Linear.builder().setUnits(width).build())
          .add(Activation.reluBlock())
          .add(Linear.builder().setUnits(classes).build());
    }
  },
  /**
   * A small ResNet: a 3×3 stem of {@code width/4} channels, one residual block at that width, one
   * strided residual block at twice the width, global average pooling and a linear classifier.
   * Every convolution is followed by batch normalisation. Kept tiny so it trains on 8×8 digits on
   * two CPU cores; any input side of at least 2 pixels works (MNIST 28×28, CIFAR 32×32).
   */
  RESNET {
    @Override
    public Block build(int width, int classes) {
      checkWidth(width);
      int c = Math.max(4, width / 4);
      return new SequentialBlock()
          .add(conv(c, 1))
          .add(BatchNorm.builder().build())
          .add(Activation.reluBlock())
          .add(residual(c, 1, false))
          .add(residual(2 * c, 2, true))
          .add(Pool.globalAvgPool2dBlock())
          .add(Linear.builder().setUnits(classes).build());
    }
  };

  /**
   * A fresh, uninitialised network.
   *
   * @param width hidden units of the MLP; for the ResNet, four times the stem's channels
   * @param classes output classes
   */
  public abstract Block build(int width, int classes);

  /** The lower-case name used on the command line. */
  public String cliName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  private static void checkWidth(int width) {
    if (width < 4) {
      throw new IllegalArgumentException("model width must be at least 4, got " + width);
    }
  }

  private static Conv2d conv(int channels, int stride) {
    return Conv2d.builder()
        .setKernelShape(new Shape(3, 3))
        .optPadding(new Shape(1, 1))
        .optStride(new Shape(stride, stride))
        .optBias(false)
        .setFilters(channels)
        .build();
  }

  private static Block residual(int channels, int stride, boolean project) {
    SequentialBlock main = new SequentialBlock()
        .add(conv(channels, stride))
        .add(BatchNorm.builder().build())
        .add(Activation.reluBlock())
        .add(conv(channels, 1))
        .add(BatchNorm.builder().build());
    Block shortcut = project
        ? new SequentialBlock()
            .add(Conv2d.builder()
                .setKernelShape(new Shape(1, 1))
                .optStride(new Shape(stride, stride))
                .optBias(false)
                .setFilters(channels)
                .build())
            .add(BatchNorm.builder().build())
        : Blocks.identityBlock();
    return new SequentialBlock()
        .add(new ParallelBlock(
            (List<NDList> branches) -> new NDList(
                branches.get(0).singletonOrThrow().add(branches.get(1).singletonOrThrow())),
            List.of(main, shortcut)))
        .add(Activation.reluBlock());
  }
}
