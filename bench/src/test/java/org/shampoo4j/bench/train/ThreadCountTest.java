package org.shampoo4j.bench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shampoo4j.bench.model.ModelKind;

/**
 * The first step's gradients of a narrow ResNet-18 with two intra-op threads: finite, and equal to
 * the one-thread gradients up to the reordering of float32 sums that parallel reductions make.
 * (An earlier session saw NaN gradients in the first step of ResNet-18 runs with {@code --threads
 * 2}; this guards against that.)
 */
class ThreadCountTest {
  @Test
  void twoThreadsGiveTheOneThreadGradients() {
    Engine.getEngine("PyTorch"); // loads the native library JniUtils calls into
    int before = JniUtils.getNumThreads();
    try (NDManager m = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(7);
      NDArray x = m.randomUniform(0f, 1f, new Shape(64, 1, 28, 28));
      NDArray y = m.randomInteger(0, 10, new Shape(64), DataType.INT32);
      JniUtils.setNumThreads(1);
      List<float[]> one = gradients(x, y);
      for (int attempt = 0; attempt < 3; attempt++) {
        JniUtils.setNumThreads(2);
        List<float[]> two = gradients(x, y);
        assertEquals(one.size(), two.size());
        for (int p = 0; p < one.size(); p++) {
          double scale = 0;
          for (float v : one.get(p)) {
            scale = Math.max(scale, Math.abs(v));
          }
          for (int i = 0; i < one.get(p).length; i++) {
            float g = two.get(p)[i];
            assertTrue(Float.isFinite(g), "parameter " + p + " element " + i + ": " + g);
            // Sums over up to 64·28·28 terms in another order: a few float32 ulps of the largest.
            assertEquals(one.get(p)[i], g, 1e-3 * scale + 1e-6,
                "attempt " + attempt + ", parameter " + p + " element " + i);
          }
        }
      }
    } finally {
      JniUtils.setNumThreads(before);
    }
  }

  /** The first-step gradients of a freshly initialised model (same seed every time). */
  private static List<float[]> gradients(NDArray x, NDArray y) {
    Block block = ModelKind.RESNET18.build(8, 10);
    try (Model model = Model.newInstance("threads")) {
      model.setBlock(block);
      DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
          .optInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
      try (Trainer trainer = model.newTrainer(config)) {
        Engine.getInstance().setRandomSeed(42);
        trainer.initialize(new Shape(1, 1, 28, 28));
        TrainingStep step = new TrainingStep(trainer, block);
        try (NDManager batch = trainer.getManager().newSubManager();
            GradientCollector gc = trainer.newGradientCollector()) {
          NDArray loss = step.loss(y, step.forward(x));
          step.backward(gc, loss);
        }
        List<float[]> grads = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
          NDArray w = p.getValue().getArray();
          if (w.hasGradient()) {
            grads.add(w.getGradient().toFloatArray());
          }
        }
        return grads;
      }
    }
  }
}
