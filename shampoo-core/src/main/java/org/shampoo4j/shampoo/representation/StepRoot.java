package org.shampoo4j.shampoo.representation;

import ai.djl.ndarray.NDArray;
import java.util.Objects;
import org.shampoo4j.quant.PackedNDArray;

/**
 * An inverse root as the fused step reads it, without decoding it first: either a dense float32
 * matrix, or the packed buffers exactly as stored (4-bit codes, block scales, fp32 diagonal) with
 * the codebook they index into. The step module decodes all packed roots of one order in one
 * batched pass, which is what makes a 4-bit step cost about what a 32-bit one costs on the host.
 * The arrays belong to the preconditioner; the step only reads them.
 */
public sealed interface StepRoot {

  /**
   * A dense float32 n×n root.
   *
   * @param matrix the root
   */
  record Dense(NDArray matrix) implements StepRoot {
    /** Checks for null. */
    public Dense {
      Objects.requireNonNull(matrix, "matrix");
    }
  }

  /**
   * A packed root, decoded by the step exactly as quant-api's {@code
   * NDArrayQuantizer.dequantize(packed, codebookValues)} would decode it.
   *
   * @param packed the stored buffers of a square root
   * @param codebookValues the codebook's values on the packed root's device
   */
  record Packed(PackedNDArray packed, NDArray codebookValues) implements StepRoot {
    /** Checks for null and a square shape. */
    public Packed {
      Objects.requireNonNull(packed, "packed");
      Objects.requireNonNull(codebookValues, "codebookValues");
      int[] shape = packed.shape();
      if (shape.length != 2 || shape[0] != shape[1]) {
        throw new IllegalArgumentException(
            "a packed root must be square, got shape " + java.util.Arrays.toString(shape));
      }
    }
  }
}
