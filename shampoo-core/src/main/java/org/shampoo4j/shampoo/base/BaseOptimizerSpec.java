package org.shampoo4j.shampoo.base;

/**
 * An immutable description of a {@link BaseOptimizer} that can make fresh, stateless-at-start
 * instances. Configurations (for example {@code ShampooConfig}) hold a spec rather than an
 * optimizer, because an optimizer carries per-parameter state and a configuration must not.
 */
public interface BaseOptimizerSpec {
  /** The name the created optimizer reports, for example {@code sgd-momentum}. */
  String name();

  /** A new optimizer with no state yet. */
  BaseOptimizer create();
}
