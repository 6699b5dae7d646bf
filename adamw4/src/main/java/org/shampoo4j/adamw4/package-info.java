/**
 * AdamW with 4-bit moments ({@link org.shampoo4j.adamw4.AdamW4Bit}, configured by {@link
 * org.shampoo4j.adamw4.AdamW4BitConfig}), a {@link org.shampoo4j.shampoo.base.BaseOptimizer}: it
 * runs alone through the DJL adapter or as Shampoo's base optimizer, given to {@code
 * ShampooConfig} as a {@link org.shampoo4j.shampoo.base.BaseOptimizerSpec} or bound by {@link
 * org.shampoo4j.adamw4.AdamW4BitModule}.
 */
package org.shampoo4j.adamw4;
