package org.shampoo4j.bench.cli;

import org.shampoo4j.bench.model.ModelKind;
import org.shampoo4j.bench.variant.BaseKind;

/**
 * The defaults the command uses for a model when an option is not given. The small models keep
 * the settings of the built-in digits run. ResNet-18 and the ViT follow the official 4-bit
 * Shampoo code's example settings (SGD-momentum lr 0.1, momentum 0.9, weight decay 5e-4 for the
 * CNNs; AdamW lr 1e-3, weight decay 0.05 for the vision transformers; Shampoo grafted onto that
 * base), with cosine decay after a short linear warm-up, batch 128, random crop + flip, and T1/T2
 * scaled down five-fold from the paper's 100/500 so that a five-epoch run refreshes its roots
 * about four times per epoch (see bench/README.md).
 *
 * @param epochs passes over the training set
 * @param batchSize images per step
 * @param sgdLearningRate peak learning rate of SGD-momentum (alone and under Shampoo)
 * @param adamwLearningRate peak learning rate of AdamW (alone and under Shampoo)
 * @param sgdWeightDecay coupled L2 weight decay of SGD-momentum
 * @param adamwWeightDecay decoupled weight decay of AdamW
 * @param shampooBase the optimizer Shampoo grafts onto
 * @param cosine whether the learning rate decays by a cosine (else constant)
 * @param warmupEpochs epochs of linear warm-up before the cosine decay
 * @param augment whether training images are randomly cropped and flipped
 * @param t1 Shampoo's statistic interval
 * @param t2 Shampoo's inverse-root interval
 */
record TrainingRecipe(int epochs, int batchSize, float sgdLearningRate, float adamwLearningRate,
    float sgdWeightDecay, float adamwWeightDecay, BaseKind shampooBase, boolean cosine,
    int warmupEpochs, boolean augment, int t1, int t2) {

  /** The defaults for {@code model}. */
  static TrainingRecipe of(ModelKind model) {
    return switch (model) {
      case MLP, RESNET -> new TrainingRecipe(BenchCommand.DEFAULT_EPOCHS, 64, 0.05f, 0.002f, 0f,
          0f, BaseKind.SGD, false, 0, false, 10, 50);
      case RESNET18 -> new TrainingRecipe(5, 128, 0.1f, 0.001f, 5e-4f, 0.05f, BaseKind.SGD, true,
          1, true, 20, 100);
      case VIT -> new TrainingRecipe(5, 128, 0.1f, 0.001f, 5e-4f, 0.05f, BaseKind.ADAMW, true, 1,
          true, 20, 100);
    };
  }
}
