package org.shampoo4j.bench.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Adds a learned position embedding to a token sequence {@code (batch, tokens, width)}: one
 * parameter of shape {@code (1, tokens, width)}, sized from the first input. (Shampoo drops the
 * size-1 dimension and preconditions it as a tokens×width matrix, as the official code does.)
 */
final class PositionEmbedding extends AbstractBlock {
  private static final byte VERSION = 1;

  private final Parameter positions;

  PositionEmbedding() {
    super(VERSION);
    positions = addParameter(Parameter.builder()
        .setName("positions")
        .setType(Parameter.Type.WEIGHT)
        .build());
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray tokens = inputs.singletonOrThrow();
    return new NDList(tokens.add(store.getValue(positions, tokens.getDevice(), training)));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }

  @Override
  public void prepare(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    if (in.dimension() != 3) {
      throw new IllegalArgumentException("position embedding expects (batch, tokens, width), got "
          + in);
    }
    positions.setShape(new Shape(1, in.get(1), in.get(2)));
  }
}
