package org.shampoo4j.quant;

import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Loads the project's committed TorchScript modules (quantizer kernels, linear algebra, the fused
 * Shampoo step) and runs their methods reproducibly.
 *
 * <p>Reproducible means: a method gives the same bits on its first call as on its hundredth.
 * libtorch's graph executor profiles a scripted method's first calls and then optimises the graph;
 * on CUDA the optimised graph fuses element-wise chains into kernels that round differently. A
 * fresh module (a resumed run, a second optimizer in the same process) would then take other steps
 * than a warmed-up one: measured on an H200, eigen-Björck Shampoo neither repeated a run in one
 * process nor resumed from a checkpoint bit for bit, and both held once the optimisation was off.
 * So every call runs with {@link JniUtils#setGraphExecutorOptimize} off and switches it back on
 * (libtorch's and DJL's default) afterwards, for whatever else the thread runs. Stateless.
 */
public final class TorchScriptModules {
  private TorchScriptModules() {}

  /**
   * Loads a module from a classpath resource next to {@code anchor}, onto {@code manager}'s device.
   *
   * @throws IllegalStateException if the resource is missing
   * @throws UncheckedIOException if it cannot be read
   */
  public static PtSymbolBlock load(PtNDManager manager, Class<?> anchor, String resource) {
    try (InputStream in = anchor.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("classpath resource "
            + anchor.getPackageName().replace('.', '/') + "/" + resource + " is missing");
      }
      // mapLocation = true: load onto the manager's device; the stream carries no size prefix.
      return JniUtils.loadModule(manager, in, true, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /**
   * Runs {@code method} of {@code module} with the graph executor's optimisation off (see the
   * class comment). The caller closes the inputs and the result.
   */
  public static IValue run(PtSymbolBlock module, String method, IValue... inputs) {
    JniUtils.setGraphExecutorOptimize(false);
    try {
      return IValueUtils.runMethod(module, method, inputs);
    } finally {
      JniUtils.setGraphExecutorOptimize(true);
    }
  }
}
