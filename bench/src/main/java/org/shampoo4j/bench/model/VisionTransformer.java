package org.shampoo4j.bench.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;

/**
 * A small vision transformer (Dosovitskiy et al. 2021, pre-norm as in DeiT): non-overlapping
 * {@value #PATCH}×{@value #PATCH} patches embedded by a strided convolution, a learned position
 * embedding, {@value #DEPTH} encoder blocks {@code x + MHSA(LN(x))}, {@code x + MLP(LN(x))} (MLP
 * ratio {@value #MLP_RATIO}, GELU, one head per 64 channels), a final layer norm, mean pooling
 * over tokens and a linear classifier. Width 192 is DeiT-Tiny's; 28×28 images give 49 tokens. No
 * dropout: the bench compares optimizers, and dropout would only add noise.
 *
 * <p>Built from DJL blocks; DJL's own {@code TransformerEncoderBlock} is not used because it
 * normalises with batch norm (BERT-style post-norm), not layer norm.
 */
final class VisionTransformer {
  /** Patch side in pixels. */
  static final int PATCH = 4;
  /** Encoder blocks. */
  static final int DEPTH = 6;
  /** Hidden units of each block's MLP per channel. */
  static final int MLP_RATIO = 4;
  /** Channels per attention head. */
  static final int HEAD_WIDTH = 64;

  private VisionTransformer() {}

  /** Attention heads at this width: one per 64 channels, at least one. */
  static int heads(int width) {
    return Math.max(1, width / HEAD_WIDTH);
  }

  static Block build(int width, int classes) {
    if (width % heads(width) != 0) {
      throw new IllegalArgumentException("ViT width " + width + " must be a multiple of its "
          + heads(width) + " heads (one per " + HEAD_WIDTH + " channels)");
    }
    SequentialBlock net = new SequentialBlock()
        .add(Conv2d.builder()
            .setKernelShape(new Shape(PATCH, PATCH))
            .optStride(new Shape(PATCH, PATCH))
            .setFilters(width)
            .build())
        // (batch, width, rows, cols) -> (batch, tokens, width)
        .add(new LambdaBlock(VisionTransformer::tokens, "tokens"))
        .add(new PositionEmbedding());
    for (int i = 0; i < DEPTH; i++) {
      net.add(ConvBlocks.residual(new SequentialBlock()
          .add(LayerNorm.builder().axis(2).build())
          .add(ScaledDotProductAttentionBlock.builder()
              .setEmbeddingSize(width)
              .setHeadCount(heads(width))
              .optAttentionProbsDropoutProb(0f)
              .build())));
      net.add(ConvBlocks.residual(new SequentialBlock()
          .add(LayerNorm.builder().axis(2).build())
          .add(Linear.builder().setUnits((long) MLP_RATIO * width).build())
          .add(Activation.geluBlock())
          .add(Linear.builder().setUnits(width).build())));
    }
    return net
        .add(LayerNorm.builder().axis(2).build())
        .add(new LambdaBlock(list -> new NDList(list.singletonOrThrow().mean(new int[] {1})),
            "meanPool"))
        .add(Linear.builder().setUnits(classes).build());
  }

  private static NDList tokens(NDList in) {
    NDArray x = in.singletonOrThrow();
    Shape s = x.getShape();
    return new NDList(x.reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1));
  }
}
