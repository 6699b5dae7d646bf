package org.shampoo4j.shampoo;

import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * The Shampoo state of one parameter (per replica when replicated): its layout, its blocks'
 * preconditioners, the owner of each unit and its step counter. The layout is null and there are
 * no blocks when the parameter is not preconditioned.
 */
final class ParameterState {
  final Shape shape;
  final BlockLayout layout;
  final List<BlockState> blocks;
  /** The owner of each unit: of each block, or of the whole unpreconditioned parameter. */
  final List<Owner> owners;
  final boolean sharded;
  int step;

  ParameterState(Shape shape, BlockLayout layout, List<BlockState> blocks, List<Owner> owners,
      boolean sharded) {
    this.shape = shape;
    this.layout = layout;
    this.blocks = blocks;
    this.owners = List.copyOf(owners);
    this.sharded = sharded;
  }

  /**
   * The base optimizer's state key of unit {@code u}: the parameter's key when the base
   * updates the whole parameter (always when replicated), else one key per block.
   */
  String unitKey(String key, int u) {
    return perBlockBase() ? key + "[block " + u + "]" : key;
  }

  /** Whether the base optimizer keeps one state per block (sharded, several blocks). */
  boolean perBlockBase() {
    return sharded && blocks.size() > 1;
  }

  /** Whether any block has a root yet (before that, the direction is the gradient). */
  boolean preconditioned() {
    for (BlockState bs : blocks) {
      if (bs.hasRoot) {
        return true;
      }
    }
    return false;
  }

  void close() {
    for (BlockState bs : blocks) {
      bs.left.close();
      bs.right.close();
    }
  }
}
