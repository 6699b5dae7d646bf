package org.shampoo4j.shampoo.state;

import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * One parameter in a checkpoint: its stable name (the model's parameter path, not DJL's random
 * id), its shape and its optimizer state ({@link StateSnapshot#EMPTY} if it has none yet).
 *
 * @param name the parameter's stable name
 * @param shape the parameter's shape
 * @param state everything the optimizer keeps for it
 */
public record ParameterRecord(String name, Shape shape, StateSnapshot state) {
  /** Checks the fields. */
  public ParameterRecord {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(state, "state");
  }
}
