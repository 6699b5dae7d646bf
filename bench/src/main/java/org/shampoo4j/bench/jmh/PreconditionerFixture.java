package org.shampoo4j.bench.jmh;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.shampoo.RootMethod;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.PreconditionerRepresentation;

/**
 * The left and right preconditioners of one square {@code order×order} parameter in a given
 * representation, warmed up with a few statistic updates and one root refresh so that the state
 * is not the identity, plus the gradient and Gram matrices the benchmarks feed them. Owns every
 * array; {@link #close()} frees them.
 */
final class PreconditionerFixture implements AutoCloseable {
  private static final int WARM_UPDATES = 3;

  final NDManager manager;
  final TorchScriptMatrixFunctions linalg;
  // The quantization kernels the representations run on, owned here as the optimizer owns its own.
  final CodeKernels codes;
  final Preconditioner left;
  final Preconditioner right;
  final NDArray gradient;
  final NDArray leftGram;
  final NDArray rightGram;
  final NDArray weight;

  PreconditionerFixture(
      PreconditionerRepresentation representation, int order, long seed, Device device) {
    manager = NDManager.newBaseManager(device);
    linalg = new TorchScriptMatrixFunctions(manager);
    codes = new CodeKernels(manager);
    PreconditionerContext context = PreconditionerContext.builder()
        .label(representation.name() + "[" + order + "]")
        .linalg(linalg)
        .rootMethod(RootMethod.COUPLED_NEWTON.create(linalg, 10))
        .manager(manager)
        .codeKernels(codes)
        .build();
    left = representation.create(order, context);
    right = representation.create(order, context.toBuilder().label(context.label() + ".R").build());
    manager.getEngine().setRandomSeed((int) seed);
    // Scaled so the Gram matrices have entries of order one.
    gradient = manager.randomNormal(0f, 1f / (float) Math.sqrt(order), new Shape(order, order),
        DataType.FLOAT32, device);
    leftGram = gradient.matMul(gradient.transpose());
    rightGram = gradient.transpose().matMul(gradient);
    weight = manager.zeros(new Shape(order, order));
    for (int i = 0; i < WARM_UPDATES; i++) {
      left.accumulate(leftGram);
      right.accumulate(rightGram);
    }
    left.refreshInverseRoot();
    right.refreshInverseRoot();
  }

  /**
   * The per-step work of Shampoo for this parameter: rebuild both inverse roots from their
   * representation, {@code P = L̂·G·R̂}, graft P to the norm of G, and apply it as an SGD step.
   * Statistic and root refreshes (every T1 / T2 steps) are measured separately. Returns once the
   * update is on the device.
   */
  long step(float learningRate) {
    try (NDManager scratch = manager.newSubManager()) {
      NDArray l = left.inverseRoot(scratch);
      NDArray r = right.inverseRoot(scratch);
      NDArray g = gradient.duplicate();
      g.attach(scratch);
      NDArray p = l.matMul(g).matMul(r);
      NDArray grafted = p.mul(g.norm().div(p.norm()));
      weight.subi(grafted.mul(learningRate));
    }
    return JmhDevice.await(weight);
  }

  @Override
  public void close() {
    left.close();
    right.close();
    codes.close();
    linalg.close();
    manager.close();
  }
}
