/**
 * Checkpoints of optimizer state: {@link org.shampoo4j.shampoo.state.CheckpointableOptimizer}
 * (save and load through streams or atomically written files), the versioned binary format
 * {@link org.shampoo4j.shampoo.state.CheckpointFile} with per-section checksums and a
 * configuration {@link org.shampoo4j.shampoo.state.Fingerprint}, and the small SPI every stateful
 * part implements: it exports its buffers, exactly as stored, into a {@link
 * org.shampoo4j.shampoo.state.StateSnapshot} and restores them through a {@link
 * org.shampoo4j.shampoo.state.StateSnapshot.Reader} that checks each array against what the part
 * holds. New representations plug in by implementing {@code Preconditioner.saveState} and {@code
 * restoreState}.
 *
 * <pre>{@code
 * ParameterSet parameters = ParameterSet.of(model.getBlock());
 * shampoo.saveState(Path.of("run/optimizer.state"), parameters);   // atomic
 * // later, in a new process with a freshly built optimizer of the same configuration:
 * shampoo.loadState(Path.of("run/optimizer.state"), parameters);
 * }</pre>
 */
package org.shampoo4j.shampoo.state;
