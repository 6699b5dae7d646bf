/**
 * Shampoo as a DJL {@link ai.djl.training.optimizer.Optimizer} (docs/algorithms.md §1): {@link
 * org.shampoo4j.shampoo.ShampooOptimizer}, its settings {@link org.shampoo4j.shampoo.ShampooConfig}
 * and how parameters are cut into blocks ({@link org.shampoo4j.shampoo.BlockLayout}).
 *
 * <p>Without Guice:
 *
 * <pre>{@code
 * ShampooConfig config = ShampooConfig.builder()
 *     .learningRate(0.01f).statisticsInterval(100).rootInterval(500)
 *     .baseOptimizer(AdamW.builder().weightDecay(0.05f).settings())
 *     .build();
 * try (ShampooOptimizer shampoo = ShampooOptimizer.builder()
 *     .config(config).representation(new FullMatrixRepresentation()).build()) {
 *   TrainingConfig training = new DefaultTrainingConfig(loss).optOptimizer(shampoo);
 *   ...
 *   System.out.print(shampoo.memoryReport().withParameterNames(model.getBlock()).toTable());
 * }
 * }</pre>
 *
 * With Guice, see {@link org.shampoo4j.shampoo.guice.ShampooModule}.
 */
package org.shampoo4j.shampoo;
