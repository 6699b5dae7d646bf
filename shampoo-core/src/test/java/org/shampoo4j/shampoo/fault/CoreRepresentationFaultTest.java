package org.shampoo4j.shampoo.fault;

import org.junit.jupiter.api.Nested;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.RootMethod;
import org.shampoo4j.shampoo.ShampooConfig;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;
import org.shampoo4j.shampoo.representation.full.FullMatrixRepresentation;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;
import org.shampoo4j.testing.FaultSuite;

/** {@link FaultSuite} for shampoo-core's representations (Cholesky's runs in its module). */
class CoreRepresentationFaultTest {
  @Nested
  class FullMatrix extends FaultSuite {
    @Override
    protected PreconditionerRepresentation representation() {
      return new FullMatrixRepresentation();
    }
  }

  @Nested
  class FullMatrixCoupledNewton extends FaultSuite {
    @Override
    protected PreconditionerRepresentation representation() {
      return new FullMatrixRepresentation();
    }

    @Override
    protected ShampooConfig.Builder config() {
      return super.config().rootMethod(RootMethod.COUPLED_NEWTON).newtonIterations(20);
    }

    @Override
    protected boolean callsThrowingSolvers() {
      return false;
    }

    @Override
    protected String label() {
      return "full-fp32/coupled-newton";
    }
  }

  @Nested
  class NaiveQuantized extends FaultSuite {
    @Override
    protected PreconditionerRepresentation representation() {
      return new NaiveQuantizedRepresentation(new Linear2Map());
    }
  }

  @Nested
  class EigenBjorckLinear2 extends FaultSuite {
    @Override
    protected PreconditionerRepresentation representation() {
      return EigenBjorckRepresentation.builder(new Linear2Map()).build();
    }

    @Override
    protected String label() {
      return "eigen-bjorck/linear-2";
    }
  }

  @Nested
  class EigenBjorckDynamicTree extends FaultSuite {
    @Override
    protected PreconditionerRepresentation representation() {
      return EigenBjorckRepresentation.builder(new DynamicTreeMap()).build();
    }

    @Override
    protected String label() {
      return "eigen-bjorck/dynamic-tree";
    }
  }
}
