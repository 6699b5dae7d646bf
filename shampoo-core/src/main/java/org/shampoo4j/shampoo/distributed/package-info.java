/**
 * How Shampoo spreads its state over the devices of DJL's multi-device training (docs/algorithms.md §9): the
 * {@link org.shampoo4j.shampoo.distributed.Distribution} ({@link
 * org.shampoo4j.shampoo.distributed.Replicated} by default, or {@link
 * org.shampoo4j.shampoo.distributed.Sharded}), the {@link
 * org.shampoo4j.shampoo.distributed.BlockAssignment} that picks each block's owner by a {@link
 * org.shampoo4j.shampoo.distributed.BlockCost}, and the {@link
 * org.shampoo4j.shampoo.distributed.ReplicaRelay} that copies a step's result to the replicas.
 *
 * <pre>{@code
 * Device[] devices = {Device.gpu(0), Device.gpu(1)};
 * ShampooOptimizer shampoo = ShampooOptimizer.builder().config(config)
 *     .representation(new FullMatrixRepresentation())
 *     .distribution(Sharded.builder(DeviceGroup.of(devices)).build())
 *     .build();
 * TrainingConfig training = new DefaultTrainingConfig(loss).optOptimizer(shampoo)
 *     .optDevices(devices);
 * // after trainer.initialize(...): plan all owners at once, largest block first
 * shampoo.planOwners(model.getBlock());
 * }</pre>
 */
package org.shampoo4j.shampoo.distributed;
