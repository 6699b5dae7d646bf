package org.shampoo4j.bench.variant;

import com.google.inject.Guice;
import com.google.inject.Module;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.shampoo4j.cholesky.CholeskyEfConfig;
import org.shampoo4j.cholesky.CholeskyEfModule;
import org.shampoo4j.quant.dynamictree.DynamicTreeModule;
import org.shampoo4j.quant.linear2.Linear2Module;
import org.shampoo4j.shampoo.guice.EigenBjorckModule;
import org.shampoo4j.shampoo.guice.FullMatrixModule;
import org.shampoo4j.shampoo.guice.NaiveQuantizedModule;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * The Shampoo preconditioner representations the bench compares, each as the Guice modules that
 * bind it: a representation module plus, for 4-bit ones, the quantization-map module. The CLI's
 * Shampoo variants and the JMH benchmarks both build their representations from here, so the
 * modules are the only thing that differs between them.
 */
public enum RepresentationChoice {
  /** 32-bit statistics and roots. */
  FULL("shampoo32", "Shampoo, fp32 statistics and roots", FullMatrixModule::new),
  /** L and its root quantized directly (the paper's weak baseline). */
  NAIVE4("naive4", "Shampoo, L and L^-1/4 quantized directly (4-bit Linear-2)",
      Linear2Module::new, NaiveQuantizedModule::new),
  /** 4-bit eigenvectors with Björck orthonormalisation, Linear-2 map. */
  EIGEN4_L2("eigen4-l2", "Shampoo, 4-bit eigenvectors + Björck (Linear-2)",
      Linear2Module::new, EigenBjorckModule::new),
  /** 4-bit eigenvectors with Björck orthonormalisation, dynamic-tree map. */
  EIGEN4_DT("eigen4-dt", "Shampoo, 4-bit eigenvectors + Björck (dynamic tree)",
      DynamicTreeModule::new, EigenBjorckModule::new),
  /** 4-bit Cholesky factor without error feedback. */
  CHOL4("chol4", "Shampoo, 4-bit Cholesky factor, no error feedback (Linear-2)",
      Linear2Module::new,
      () -> new CholeskyEfModule(CholeskyEfConfig.builder().errorFeedback(false).build())),
  /** 4-bit Cholesky factor with error feedback. */
  CHOL4_EF("chol4-ef", "Shampoo, 4-bit Cholesky factor + error feedback (Linear-2)",
      Linear2Module::new, () -> new CholeskyEfModule(CholeskyEfConfig.defaults()));

  private final String id;
  private final String description;
  private final List<Supplier<Module>> modules;

  @SafeVarargs
  RepresentationChoice(String id, String description, Supplier<Module>... modules) {
    this.id = id;
    this.description = description;
    this.modules = List.of(modules);
  }

  /** The id used by the CLI and in benchmark parameters, for example {@code eigen4-l2}. */
  public String id() {
    return id;
  }

  /** One line saying what the representation is. */
  public String description() {
    return description;
  }

  /** Fresh instances of the modules that bind this representation. */
  public List<Module> modules() {
    List<Module> out = new ArrayList<>();
    for (Supplier<Module> m : modules) {
      out.add(m.get());
    }
    return out;
  }

  /** The representation bound by {@link #modules()}. */
  public PreconditionerRepresentation representation() {
    return Guice.createInjector(modules()).getInstance(PreconditionerRepresentation.class);
  }

  /**
   * The choice with this id.
   *
   * @throws IllegalArgumentException naming the known ids
   */
  public static RepresentationChoice byId(String id) {
    for (RepresentationChoice c : values()) {
      if (c.id.equals(id.trim().toLowerCase(Locale.ROOT))) {
        return c;
      }
    }
    List<String> ids = new ArrayList<>();
    for (RepresentationChoice c : values()) {
      ids.add(c.id);
    }
    throw new IllegalArgumentException(
        "unknown representation '" + id + "'; known: " + String.join(", ", ids));
  }
}
