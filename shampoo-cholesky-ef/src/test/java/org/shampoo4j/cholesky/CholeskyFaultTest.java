package org.shampoo4j.cholesky;

import org.junit.jupiter.api.Nested;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;
import org.shampoo4j.testing.FaultSuite;

/** shampoo-core's {@link FaultSuite} for the Cholesky representations, with and without EF. */
class CholeskyFaultTest {
  @Nested
  class WithErrorFeedback extends FaultSuite {
    @Override
    protected PreconditionerRepresentation representation() {
      return new CholeskyEfRepresentation(new Linear2Map(), CholeskyEfConfig.defaults());
    }
  }

  @Nested
  class WithoutErrorFeedback extends FaultSuite {
    @Override
    protected PreconditionerRepresentation representation() {
      return new CholeskyEfRepresentation(
          new Linear2Map(), CholeskyEfConfig.builder().errorFeedback(false).build());
    }
  }
}
