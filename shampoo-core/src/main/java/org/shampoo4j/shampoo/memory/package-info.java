/**
 * Optimizer memory reports computed from the real buffers of preconditioners and base optimizers
 * ({@link org.shampoo4j.shampoo.memory.MemoryReport}).
 */
package org.shampoo4j.shampoo.memory;
