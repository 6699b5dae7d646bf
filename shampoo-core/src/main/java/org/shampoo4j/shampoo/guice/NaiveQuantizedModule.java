package org.shampoo4j.shampoo.guice;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import java.util.Objects;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveRoot;

/**
 * Guice module that makes "naive" 4-bit Shampoo ({@link NaiveQuantizedRepresentation}: statistic
 * and inverse root quantized directly) the {@link PreconditionerRepresentation}. The {@link
 * QuantizationMap} comes from another module, for example {@code Linear2Module} or {@code
 * DynamicTreeModule}, so the map and the representation are swapped independently.
 */
public final class NaiveQuantizedModule extends AbstractModule {
  private final NaiveRoot root;

  /** The module with the default root ({@link NaiveRoot#SYMMETRIZED}). */
  public NaiveQuantizedModule() {
    this(NaiveRoot.SYMMETRIZED);
  }

  /**
   * The module with a chosen root, for example {@link NaiveRoot#OFFICIAL_SCHUR_NEWTON} to match the
   * official code's naive baseline.
   *
   * @param root how the naive representation roots its dequantized statistic
   */
  public NaiveQuantizedModule(NaiveRoot root) {
    // Checked now rather than at injection time, so a null fails where it is written.
    this.root = Objects.requireNonNull(root, "root");
  }

  /** The naive 4-bit representation over the injected map. */
  @Provides
  @Singleton
  PreconditionerRepresentation representation(QuantizationMap map) {
    return new NaiveQuantizedRepresentation(map, root);
  }
}
