package org.shampoo4j.shampoo;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.shampoo4j.linalg.InverseRootMethod;
import org.shampoo4j.linalg.MatrixFunctions;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.shampoo.bank.BankKernels;
import org.shampoo4j.shampoo.representation.PreconditionerContext;

/**
 * The per-device kernels of one optimizer, made on first use of a device and closed with it:
 * matrix functions, root method, the fused step and the bank's batched kernels (both null when
 * the fused step is turned off) and the quantizers' kernels. Each device's quantizers run on
 * kernels that device owns, never on a shared module instance.
 */
final class DeviceLinalg implements AutoCloseable {
  /** One device's kernels. */
  record Kernels(MatrixFunctions functions, InverseRootMethod root, StepKernels step,
      BankKernels bank, CodeKernels codes) {}

  private final ShampooConfig config;
  private final MatrixFunctionsFactory factory;
  private final boolean fusedStep;
  private final RefreshStacking stacking;
  private final Map<Device, Kernels> byDevice = new ConcurrentHashMap<>();

  DeviceLinalg(ShampooConfig config, MatrixFunctionsFactory factory, boolean fusedStep,
      RefreshStacking stacking) {
    this.config = config;
    this.factory = factory;
    this.fusedStep = fusedStep;
    this.stacking = stacking;
  }

  /** The kernels of a device that already holds state (made by {@link #context}). */
  Kernels get(Device device) {
    return byDevice.get(device);
  }

  /**
   * A preconditioner context on {@code deviceManager}'s device, in a new sub-manager of it, with
   * that device's kernels (made now if the device is new).
   */
  PreconditionerContext context(NDManager deviceManager) {
    Kernels la = byDevice.computeIfAbsent(deviceManager.getDevice(), d -> {
      MatrixFunctions f = factory.create(deviceManager);
      return new Kernels(f, config.rootMethod().create(f, config.newtonIterations()),
          fusedStep ? new StepKernels(deviceManager) : null,
          fusedStep ? bank(deviceManager) : null, new CodeKernels(deviceManager));
    });
    return PreconditionerContext.builder()
        .beta(config.beta()).epsilon(config.epsilon()).rootExponent(4)
        .linalg(la.functions()).rootMethod(la.root()).manager(deviceManager.newSubManager())
        .bank(la.bank()).codeKernels(la.codes())
        .quantization(config.quantization())
        .build();
  }

  private BankKernels bank(NDManager deviceManager) {
    return new BankKernels(deviceManager, stacking.stacks(deviceManager.getDevice()));
  }

  @Override
  public void close() {
    for (Kernels la : byDevice.values()) {
      if (la.functions() instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing matrix functions failed", e);
        }
      }
      if (la.step() != null) {
        la.step().close();
      }
      if (la.bank() != null) {
        la.bank().close();
      }
      la.codes().close();
    }
    byDevice.clear();
  }
}
