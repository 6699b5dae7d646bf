package org.shampoo4j.bench.train;

/**
 * What one epoch measured.
 *
 * @param epoch the 1-based epoch number
 * @param trainLoss mean cross-entropy over the epoch's training batches
 * @param testLoss mean cross-entropy on the test set after the epoch
 * @param testAccuracy share of test images classified correctly after the epoch, in [0, 1]
 * @param elapsedSeconds training wall time from the start of the run to the end of this epoch
 *     (evaluation excluded)
 */
public record EpochRecord(
    int epoch, double trainLoss, double testLoss, double testAccuracy, double elapsedSeconds) {}
