package org.shampoo4j.shampoo.guice;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;

/**
 * Guice module that makes 4-bit eigenvector quantization with Björck orthonormalization ({@link
 * EigenBjorckRepresentation}) the {@link PreconditionerRepresentation}. The {@link
 * QuantizationMap} comes from another module, for example {@code Linear2Module} or {@code
 * DynamicTreeModule}.
 */
public final class EigenBjorckModule extends AbstractModule {
  private final int statisticBjorckSteps;
  private final int rootBjorckSteps;

  /** The paper's setting: t1 = 1 Björck step per statistic update, t2 = 4 per root refresh. */
  public EigenBjorckModule() {
    this(
        EigenBjorckRepresentation.DEFAULT_STATISTIC_BJORCK_STEPS,
        EigenBjorckRepresentation.DEFAULT_ROOT_BJORCK_STEPS);
  }

  /**
   * A module with explicit Björck step counts.
   *
   * @param statisticBjorckSteps t1, non-negative
   * @param rootBjorckSteps t2, non-negative
   * @throws IllegalArgumentException if a count is negative
   */
  public EigenBjorckModule(int statisticBjorckSteps, int rootBjorckSteps) {
    // Validate now rather than at injection time, so a bad count fails where it is written.
    if (statisticBjorckSteps < 0 || rootBjorckSteps < 0) {
      throw new IllegalArgumentException(
          "Björck step counts must be non-negative, got t1=" + statisticBjorckSteps + ", t2="
              + rootBjorckSteps);
    }
    this.statisticBjorckSteps = statisticBjorckSteps;
    this.rootBjorckSteps = rootBjorckSteps;
  }

  /** The eigen-Björck representation over the injected map. */
  @Provides
  @Singleton
  PreconditionerRepresentation representation(QuantizationMap map) {
    return EigenBjorckRepresentation.builder(map)
        .statisticBjorckSteps(statisticBjorckSteps)
        .rootBjorckSteps(rootBjorckSteps)
        .build();
  }
}
