/**
 * What Shampoo does when a preconditioner update fails (docs/algorithms.md §1 leaves it open; we follow Meta's
 * Shampoo): the representation keeps its previous state and reports a {@link
 * org.shampoo4j.shampoo.representation.RejectedUpdateException}; the optimizer counts it per block
 * ({@link org.shampoo4j.shampoo.health.BlockHealth}), logs one warning, and after {@code
 * ShampooConfig.maxConsecutiveFailures} failed statistic (or root) events of one block in a row
 * throws a
 * {@link org.shampoo4j.shampoo.health.PreconditionerFailureException}. {@link
 * org.shampoo4j.shampoo.health.HealthReport} is the summary {@code ShampooOptimizer.health()}
 * returns.
 */
package org.shampoo4j.shampoo.health;
