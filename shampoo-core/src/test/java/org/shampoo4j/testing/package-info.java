/**
 * Shared test fixtures (published in shampoo-core's test-jar): small deterministic problems
 * ({@link org.shampoo4j.testing.IllConditionedQuadratic}, {@link
 * org.shampoo4j.testing.SyntheticMlp}) and {@link org.shampoo4j.testing.TrainingHarness}, which
 * trains a problem with any DJL optimizer through a real {@code Trainer} and returns its {@link
 * org.shampoo4j.testing.LossCurve}.
 */
package org.shampoo4j.testing;
