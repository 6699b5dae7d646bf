package org.shampoo4j.shampoo.representation.eigen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.dynamictree.DynamicTreeModule;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.quant.linear2.Linear2Module;
import org.shampoo4j.shampoo.guice.EigenBjorckModule;
import org.shampoo4j.shampoo.guice.NaiveQuantizedModule;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveRoot;

/** Swapping one Guice module swaps the representation or the quantization map. */
class RepresentationModulesTest {
  private static PreconditionerRepresentation inject(Module map, Module representation) {
    Injector injector = Guice.createInjector(map, representation);
    PreconditionerRepresentation r = injector.getInstance(PreconditionerRepresentation.class);
    assertSame(r, injector.getInstance(PreconditionerRepresentation.class), "singleton");
    return r;
  }

  @Test
  void eigenBjorckModuleTakesTheInjectedMap() {
    EigenBjorckRepresentation linear =
        assertInstanceOf(EigenBjorckRepresentation.class,
            inject(new Linear2Module(), new EigenBjorckModule()));
    assertInstanceOf(Linear2Map.class, linear.map());
    assertEquals(1, linear.statisticBjorckSteps());
    assertEquals(4, linear.rootBjorckSteps());
    assertEquals("eigen-bjorck", linear.name());
    EigenBjorckRepresentation tree =
        assertInstanceOf(EigenBjorckRepresentation.class,
            inject(new DynamicTreeModule(), new EigenBjorckModule(2, 3)));
    assertInstanceOf(DynamicTreeMap.class, tree.map());
    assertEquals(2, tree.statisticBjorckSteps());
    assertEquals(3, tree.rootBjorckSteps());
    assertThrows(IllegalArgumentException.class, () -> new EigenBjorckModule(-1, 4));
  }

  @Test
  void naiveModuleTakesTheInjectedMap() {
    NaiveQuantizedRepresentation linear =
        assertInstanceOf(NaiveQuantizedRepresentation.class,
            inject(new Linear2Module(), new NaiveQuantizedModule()));
    assertInstanceOf(Linear2Map.class, linear.map());
    NaiveQuantizedRepresentation tree =
        assertInstanceOf(NaiveQuantizedRepresentation.class,
            inject(new DynamicTreeModule(), new NaiveQuantizedModule()));
    assertInstanceOf(DynamicTreeMap.class, tree.map());
    assertEquals(NaiveRoot.SYMMETRIZED, tree.root());
    NaiveQuantizedRepresentation official =
        assertInstanceOf(NaiveQuantizedRepresentation.class,
            inject(new Linear2Module(), new NaiveQuantizedModule(NaiveRoot.OFFICIAL_SCHUR_NEWTON)));
    assertEquals(NaiveRoot.OFFICIAL_SCHUR_NEWTON, official.root());
    assertThrows(NullPointerException.class, () -> new NaiveQuantizedModule(null));
  }

  @Test
  void builderRejectsNegativeBjorckSteps() {
    EigenBjorckRepresentation.Builder b = EigenBjorckRepresentation.builder(new Linear2Map());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> b.rootBjorckSteps(-2));
    assertEquals("rootBjorckSteps (t2) must be non-negative, got -2", e.getMessage());
    assertThrows(NullPointerException.class, () -> EigenBjorckRepresentation.builder(null));
  }
}
