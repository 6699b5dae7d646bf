package org.shampoo4j.shampoo;

import org.shampoo4j.shampoo.health.BlockHealth;
import org.shampoo4j.shampoo.representation.Preconditioner;

/** One block's two preconditioners, its failure counts and whether a root exists yet. */
final class BlockState {
  final BlockLayout.Block block;
  final Preconditioner left;
  final Preconditioner right;
  final BlockHealth health;
  boolean hasRoot;

  BlockState(BlockLayout.Block block, Preconditioner left, Preconditioner right,
      BlockHealth health) {
    this.block = block;
    this.left = left;
    this.right = right;
    this.health = health;
  }
}
