package org.shampoo4j.bench.model;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

/**
 * ResNet-18 in the form used for small images (CIFAR, Fashion-MNIST; He et al. 2016 with the
 * 3×3 stem and no max pooling that CIFAR code uses): a 3×3 stem of {@code width} channels, four
 * stages of two basic blocks with {@code width, 2·width, 4·width, 8·width} channels (strides 1,
 * 2, 2, 2), global average pooling and a linear classifier. With the standard width 64 the last
 * stage's 3×3 convolutions have weights 512×512×3×3, which Shampoo preconditions as a 512×4608
 * matrix (docs/algorithms.md §1 reshape), so its R factor is blocked at the max order.
 */
final class ResNet18 {
  /** Basic blocks per stage. */
  static final int BLOCKS_PER_STAGE = 2;

  private ResNet18() {}

  static Block build(int width, int classes) {
    SequentialBlock net = new SequentialBlock()
        .add(ConvBlocks.conv3x3(width, 1))
        .add(new BatchNorm())
        .add(Activation.reluBlock());
    int channels = width;
    for (int stage = 0; stage < 4; stage++) {
      int out = width << stage;
      for (int b = 0; b < BLOCKS_PER_STAGE; b++) {
        int stride = stage > 0 && b == 0 ? 2 : 1;
        net.add(ConvBlocks.basicBlock(out, stride, stride != 1 || channels != out));
        channels = out;
      }
    }
    return net.add(Pool.globalAvgPool2dBlock()).add(Linear.builder().setUnits(classes).build());
  }
}
