package org.shampoo4j.bench.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import java.util.List;

/** The convolutional building blocks the ResNets share: 3×3 convolutions and basic blocks. */
final class ConvBlocks {
  private ConvBlocks() {}

  /** A 3×3 convolution with padding 1 and no bias (batch norm follows). */
  static Conv2d conv3x3(int channels, int stride) {
    return Conv2d.builder()
        .setKernelShape(new Shape(3, 3))
        .optPadding(new Shape(1, 1))
        .optStride(new Shape(stride, stride))
        .optBias(false)
        .setFilters(channels)
        .build();
  }

  /**
   * A basic residual block: conv-BN-ReLU-conv-BN plus the input, then ReLU. With {@code project}
   * the shortcut is a strided 1×1 convolution with batch norm (needed when the stride or the
   * channel count changes).
   */
  static Block basicBlock(int channels, int stride, boolean project) {
    SequentialBlock main = new SequentialBlock()
        .add(conv3x3(channels, stride))
        .add(new BatchNorm())
        .add(Activation.reluBlock())
        .add(conv3x3(channels, 1))
        .add(new BatchNorm());
    Block shortcut = project
        ? new SequentialBlock()
            .add(Conv2d.builder()
                .setKernelShape(new Shape(1, 1))
                .optStride(new Shape(stride, stride))
                .optBias(false)
                .setFilters(channels)
                .build())
            .add(new BatchNorm())
        : Blocks.identityBlock();
    return new SequentialBlock().add(sum(main, shortcut)).add(Activation.reluBlock());
  }

  /** {@code main(x) + shortcut(x)}. */
  static Block sum(Block main, Block shortcut) {
    return new ParallelBlock(
        (List<NDList> branches) -> new NDList(
            branches.get(0).singletonOrThrow().add(branches.get(1).singletonOrThrow())),
        List.of(main, shortcut));
  }

  /** {@code x + body(x)}. */
  static Block residual(Block body) {
    return sum(body, Blocks.identityBlock());
  }
}
