package org.shampoo4j.bench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** This package's BatchNorm against DJL's: same names, bytes, outputs and gradients. */
class BatchNormTest {
  private static Block net(boolean ours) {
    return new SequentialBlock()
        .add(ConvBlocks.conv3x3(6, 1))
        .add(ours ? new BatchNorm() : ai.djl.nn.norm.BatchNorm.builder().build());
  }

  /** Parameter names, then training-mode output, gradients and running stats after one step. */
  private static List<Object> run(boolean ours, byte[] load) throws Exception {
    Block block = net(ours);
    try (Model model = Model.newInstance("bn")) {
      model.setBlock(block);
      try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()))) {
        Engine.getInstance().setRandomSeed(3);
        trainer.initialize(new Shape(4, 3, 5, 5));
        if (load != null) {
          block.loadParameters(trainer.getManager(),
              new DataInputStream(new ByteArrayInputStream(load)));
        }
        List<Object> out = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
          out.add(p.getKey());
        }
        NDManager m = trainer.getManager();
        NDArray x = m.randomNormal(0f, 1f, new Shape(4, 3, 5, 5), ai.djl.ndarray.types.DataType.FLOAT32);
        try (GradientCollector gc = trainer.newGradientCollector()) {
          NDArray y = trainer.forward(new NDList(x)).singletonOrThrow();
          out.add(y.toFloatArray());
          gc.backward(y.square().sum());
        }
        for (Pair<String, Parameter> p : block.getParameters()) {
          NDArray a = p.getValue().getArray();
          out.add(a.toFloatArray());
          if (a.hasGradient()) {
            out.add(a.getGradient().toFloatArray());
          }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        block.saveParameters(new DataOutputStream(bytes));
        out.add(bytes.toByteArray());
        return out;
      }
    }
  }

  @Test
  void matchesDjlsBatchNormBitForBit() throws Exception {
    List<Object> djl = run(false, null);
    List<Object> ours = run(true, null);
    assertEquals(djl.size(), ours.size());
    for (int i = 0; i < djl.size(); i++) {
      Object a = djl.get(i);
      Object b = ours.get(i);
      if (a instanceof float[] fa) {
        assertArrayEquals(fa, (float[]) b, "item " + i);
      } else if (a instanceof byte[] ba) {
        assertArrayEquals(ba, (byte[]) b, "saved parameters");
      } else {
        assertEquals(a, b, "parameter names");
      }
    }
    // Each loads the other's saved parameters.
    byte[] saved = (byte[]) djl.get(djl.size() - 1);
    List<Object> loaded = run(true, saved);
    assertArrayEquals(saved, (byte[]) loaded.get(loaded.size() - 1));
  }
}
