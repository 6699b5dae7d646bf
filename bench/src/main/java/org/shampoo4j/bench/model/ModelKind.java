package org.shampoo4j.bench.model;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import java.util.Locale;

/** The models the bench trains, built from DJL blocks. */
public enum ModelKind {
  /** Flatten, two hidden ReLU layers of {@code width} units, a linear classifier. */
  MLP(128) {
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
  RESNET(128) {
    @Override
    public Block build(int width, int classes) {
      checkWidth(width);
      int c = Math.max(4, width / 4);
      return new SequentialBlock()
          .add(ConvBlocks.conv3x3(c, 1))
          .add(new BatchNorm())
          .add(Activation.reluBlock())
          .add(ConvBlocks.basicBlock(c, 1, false))
          .add(ConvBlocks.basicBlock(2 * c, 2, true))
          .add(Pool.globalAvgPool2dBlock())
          .add(Linear.builder().setUnits(classes).build());
    }
  },
  /**
   * ResNet-18 for small images: stages of {@code width..8·width} channels (64–512 at the default
   * width), batch norm after every convolution. See {@link ResNet18}.
   */
  RESNET18(64) {
    @Override
    public Block build(int width, int classes) {
      checkWidth(width);
      return ResNet18.build(width, classes);
    }
  },
  /**
   * A small vision transformer: 4×4 patches, 6 pre-norm encoder blocks of {@code width} channels
   * (192 by default, one head per 64), layer norm. See {@link VisionTransformer}.
   */
  VIT(192) {
    @Override
    public Block build(int width, int classes) {
      checkWidth(width);
      return VisionTransformer.build(width, classes);
    }

    @Override
    public void checkInput(int channels, int height, int width) {
      super.checkInput(channels, height, width);
      int p = VisionTransformer.PATCH;
      if (height % p != 0 || width % p != 0) {
        throw new IllegalArgumentException("--model vit cuts images into " + p + "x" + p
            + " patches, so both sides must be multiples of " + p + "; the data has " + height
            + "x" + width + " images");
      }
    }
  };

  private final int defaultWidth;

  ModelKind(int defaultWidth) {
    this.defaultWidth = defaultWidth;
  }

  /**
   * A fresh, uninitialised network.
   *
   * @param width hidden units of the MLP; for the tiny ResNet four times the stem's channels; for
   *     ResNet-18 the first stage's channels; for the ViT the embedding width
   * @param classes output classes
   */
  public abstract Block build(int width, int classes);

  /** The width used when the command line names none. */
  public int defaultWidth() {
    return defaultWidth;
  }

  /**
   * Checks that this network accepts images of this shape.
   *
   * @throws IllegalArgumentException saying what does not fit
   */
  public void checkInput(int channels, int height, int width) {
    if (channels < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException("--model " + cliName() + " needs images of positive "
          + "shape, got " + channels + "x" + height + "x" + width);
    }
  }

  /** The lower-case name used on the command line. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  private static void checkWidth(int width) {
    if (width < 4) {
      throw new IllegalArgumentException("model width must be at least 4, got " + width);
    }
  }
}
