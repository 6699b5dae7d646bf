package org.shampoo4j.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.loss.Loss;
import ai.djl.util.PairList;
import java.util.Random;

/**
 * A matrix least-squares problem with Kronecker-structured, ill-conditioned curvature, the case
 * Shampoo is built for:
 *
 * <pre>
 *   f(W) = ½·‖A·(W − W*)·B‖²_F,   ∇f = AᵀA·(W − W*)·BBᵀ
 * </pre>
 *
 * with A (m×m) and B (n×n) symmetric, their singular values log-spaced from 1 to {@code sqrt(κ)}
 * under random rotations, so the Hessian {@code BBᵀ ⊗ AᵀA} has condition number κ². W starts at
 * 0, W* is Gaussian, the minimum is 0. All fixed by the seed.
 */
public final class IllConditionedQuadratic implements Problem {
  private final int rows;
  private final int cols;
  private final float[] a;
  private final float[] b;
  private final float[] target;

  /**
   * A problem.
   *
   * @param rows m
   * @param cols n
   * @param condition κ, the condition number of AᵀA and of BBᵀ (≥ 1)
   * @param seed fixes A, B and W*
   */
  public IllConditionedQuadratic(int rows, int cols, double condition, long seed) {
    if (rows < 1 || cols < 1 || !(condition >= 1)) {
      throw new IllegalArgumentException("need rows, cols >= 1 and condition >= 1");
    }
    Random random = new Random(seed);
    this.rows = rows;
    this.cols = cols;
    this.a = Matrices.toFloat(Matrices.symmetricWithSpectrum(
        Matrices.logSpaced(1, Math.sqrt(condition), rows), random));
    this.b = Matrices.toFloat(Matrices.symmetricWithSpectrum(
        Matrices.logSpaced(1, Math.sqrt(condition), cols), random));
    this.target = new float[rows * cols];
    for (int i = 0; i < target.length; i++) {
      target[i] = (float) random.nextGaussian();
    }
  }

  /** The default instance: 24×16, κ = 100 per side (Hessian condition 10⁴), seed 7. */
  public static IllConditionedQuadratic standard() {
    return new IllConditionedQuadratic(24, 16, 100, 7);
  }

  @Override
  public String name() {
    return "quadratic-" + rows + "x" + cols;
  }

  @Override
  public Block newBlock() {
    return new QuadraticBlock(rows, cols);
  }

  @Override
  public Loss loss() {
    return new ObjectiveLoss();
  }

  @Override
  public Shape[] inputShapes() {
    return new Shape[] {new Shape(rows, rows), new Shape(cols, cols), new Shape(rows, cols)};
  }

  @Override
  public NDList data(NDManager manager) {
    return new NDList(manager.create(a, new Shape(rows, rows)),
        manager.create(b, new Shape(cols, cols)), manager.create(target, new Shape(rows, cols)));
  }

  @Override
  public NDList labels(NDManager manager) {
    return new NDList(manager.zeros(new Shape()));
  }

  /** The block: one (m, n) weight "w" starting at 0; its output is the objective itself. */
  private static final class QuadraticBlock extends AbstractBlock {
    private final Parameter w;

    QuadraticBlock(int rows, int cols) {
      w = addParameter(Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT)
          .optShape(new Shape(rows, cols)).optInitializer(Initializer.ZEROS).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
        PairList<String, Object> params) {
      NDArray weight = store.getValue(w, inputs.head().getDevice(), training);
      NDArray r = inputs.get(0).matMul(weight.sub(inputs.get(2))).matMul(inputs.get(1));
      return new NDList(r.square().sum().mul(0.5f));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
      return new Shape[] {new Shape()};
    }

    @Override
    public DataType[] getOutputDataTypes() {
      return new DataType[] {DataType.FLOAT32};
    }
  }

  /** A loss that is the model's scalar output (the model computes its own objective). */
  private static final class ObjectiveLoss extends Loss {
    ObjectiveLoss() {
      super("objective");
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
      return predictions.singletonOrThrow().sum();
    }
  }
}
