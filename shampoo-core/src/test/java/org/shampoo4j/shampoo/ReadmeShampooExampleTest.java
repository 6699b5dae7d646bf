package org.shampoo4j.shampoo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.training.loss.Loss;
import com.google.inject.Guice;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.linear2.Linear2Module;
import org.shampoo4j.shampoo.base.SgdMomentum;
import org.shampoo4j.shampoo.guice.EigenBjorckModule;
import org.shampoo4j.shampoo.guice.ShampooModule;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.testing.LossCurve;
import org.shampoo4j.testing.SyntheticMlp;
import org.shampoo4j.testing.TrainingHarness;

/** The README's "Training with Shampoo" code, verbatim between the markers, compiled and run. */
class ReadmeShampooExampleTest {
  @Test
  void readmeShampooSectionTrains() {
    SyntheticMlp problem = SyntheticMlp.standard();
    try (Model model = Model.newInstance("readme")) {
      model.setBlock(problem.newBlock());

      // --- README snippet begins ---
      ShampooConfig config = ShampooConfig.builder()
          .learningRate(0.05f)
          .statisticsInterval(100)      // T1
          .rootInterval(500)            // T2
          .baseOptimizer(SgdMomentum.builder().momentum(0.9f).settings())
          .build();
      ShampooOptimizer shampoo = Guice.createInjector(
              new ShampooModule(config), new Linear2Module(), new EigenBjorckModule())
          .getInstance(ShampooOptimizer.class);
      TrainingConfig training = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
          .optOptimizer(shampoo);
      // --- README snippet ends ---

      try (shampoo; Trainer trainer = model.newTrainer(training)) {
        trainer.initialize(problem.inputShapes());
        NDList x = problem.data(trainer.getManager());
        NDList y = problem.labels(trainer.getManager());
        float first = 0f;
        float last = 0f;
        for (int step = 0; step < 20; step++) {
          try (GradientCollector collector = trainer.newGradientCollector()) {
            NDArray loss = trainer.getLoss().evaluate(y, trainer.forward(x));
            collector.backward(loss);
            last = loss.getFloat();
            first = step == 0 ? last : first;
          }
          trainer.step();
        }
        System.out.printf("README Shampoo example: loss %.4f -> %.4f%n", first, last);
        assertTrue(last < first);
        // README: "after training"
        System.out.print(shampoo.memoryReport().withParameterNames(model.getBlock()).toTable());
      }
    }
  }

  @Test
  void readmeAlternativesBuild() {
    ShampooConfig config = ShampooConfig.builder().learningRate(0.05f).build();
    // --- README snippet begins ---
    ShampooOptimizer plain = ShampooOptimizer.builder().config(config).representation(new
        FullMatrixRepresentation()).build();
    // --- README snippet ends ---
    // (The README's 4-bit AdamW line: ReadmeAdamW4ExampleTest in the adamw4 module.)
    try (plain) {
      LossCurve shampooCurve = TrainingHarness.train(SyntheticMlp.standard(), plain, 10);
      assertTrue(shampooCurve.finalLoss() < shampooCurve.losses()[0]);
    }
  }
}
