package org.shampoo4j.cholesky;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import com.google.inject.Injector;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.dynamictree.DynamicTreeModule;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.quant.linear2.Linear2Module;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/** {@link CholeskyEfConfig} defaults and validation; {@link CholeskyEfModule} wiring. */
class CholeskyEfConfigAndModuleTest {

  @Test
  void defaultsAreSpecSixChoices() {
    CholeskyEfConfig c = CholeskyEfConfig.defaults();
    assertTrue(c.errorFeedback());
    assertEquals(0f, c.betaE());
    assertEquals(3, c.maxRetries());
    assertEquals(10f, c.ridgeGrowth());
    assertFalse(c.rootAsCholesky());
    CholeskyEfConfig custom = c.toBuilder().betaE(0.5f).rootAsCholesky(true).maxRetries(0).build();
    assertEquals(custom, custom.toBuilder().build());
    assertEquals(custom.hashCode(), custom.toBuilder().build().hashCode());
    System.out.println("defaults: " + c + "; custom: " + custom);
  }

  @Test
  void invalidSettingsAreRejectedWithReasons() {
    CholeskyEfConfig.Builder b = CholeskyEfConfig.builder();
    for (float bad : new float[] {-0.1f, 1f, Float.NaN}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> b.betaE(bad));
      assertTrue(e.getMessage().contains("betaE"), e.getMessage());
    }
    for (int bad : new int[] {-1, 21}) {
      assertThrows(IllegalArgumentException.class, () -> b.maxRetries(bad));
    }
    for (float bad : new float[] {1f, 0.5f, Float.POSITIVE_INFINITY, Float.NaN}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> b.ridgeGrowth(bad));
      assertTrue(e.getMessage().contains("ridgeGrowth"), e.getMessage());
    }
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> CholeskyEfConfig.builder().errorFeedback(false).betaE(0.5f).build());
    System.out.println("betaE without error feedback: " + e.getMessage());
  }

  @Test
  void moduleBindsTheRepresentationWithTheInjectedMap() {
    Injector linear2 = Guice.createInjector(new Linear2Module(), new CholeskyEfModule());
    PreconditionerRepresentation r = linear2.getInstance(PreconditionerRepresentation.class);
    CholeskyEfRepresentation cholesky = assertInstanceOf(CholeskyEfRepresentation.class, r);
    assertEquals("cholesky-ef", cholesky.name());
    assertInstanceOf(Linear2Map.class, cholesky.map());
    assertEquals(CholeskyEfConfig.defaults(), cholesky.config());

    CholeskyEfConfig noEf = CholeskyEfConfig.builder().errorFeedback(false).build();
    Injector tree = Guice.createInjector(new DynamicTreeModule(), new CholeskyEfModule(noEf));
    CholeskyEfRepresentation other = (CholeskyEfRepresentation)
        tree.getInstance(PreconditionerRepresentation.class);
    assertEquals("cholesky", other.name());
    assertInstanceOf(DynamicTreeMap.class, other.map());
    assertEquals(noEf, other.config());
    assertThrows(NullPointerException.class, () -> new CholeskyEfModule(null));
    System.out.println("injected: " + cholesky + " and " + other);
  }
}
