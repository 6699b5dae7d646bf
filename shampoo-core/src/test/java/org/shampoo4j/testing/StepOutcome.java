package org.shampoo4j.testing;

import ai.djl.ndarray.NDArray;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.shampoo4j.shampoo.state.CheckpointableOptimizer;
import org.shampoo4j.shampoo.state.ParameterSet;

/**
 * What a run of optimizer steps left behind, for comparing two paths bit for bit: every weight's
 * bytes, the optimizer's checkpoint bytes and the error messages the run collected (the pending
 * gradient checks are read first, so a bad last step is among them).
 *
 * @param weights the weights' bytes, in the parameters' order
 * @param checkpoint the optimizer's {@code saveState} bytes
 * @param errors the messages of the {@link IllegalStateException}s the run caught
 */
public record StepOutcome(List<byte[]> weights, byte[] checkpoint, List<String> errors) {

  /**
   * Reads the optimizer's pending gradient checks ({@code checkGradients}, its error added to
   * {@code errors}), then captures the weights and the checkpoint.
   */
  public static StepOutcome capture(CheckpointableOptimizer optimizer, Runnable checkGradients,
      Map<String, NDArray> params, List<String> errors) {
    try {
      checkGradients.run();
    } catch (IllegalStateException e) {
      errors.add(e.getMessage());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      optimizer.saveState(out, ParameterSet.ofIds(params));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<byte[]> weights = new ArrayList<>();
    for (NDArray w : params.values()) {
      weights.add(w.toByteArray());
    }
    return new StepOutcome(weights, out.toByteArray(), errors);
  }
}
