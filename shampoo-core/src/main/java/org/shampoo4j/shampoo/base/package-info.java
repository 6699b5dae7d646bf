/**
 * The first-order rules Shampoo hands its direction to ({@link
 * org.shampoo4j.shampoo.base.SgdMomentum}, {@link org.shampoo4j.shampoo.base.AdamW}, behind the
 * fixed SPI {@link org.shampoo4j.shampoo.base.BaseOptimizer}), the gradient handling every
 * optimizer of the project shares ({@link org.shampoo4j.shampoo.base.GradientPreprocessor}), and
 * {@link org.shampoo4j.shampoo.base.BaseOptimizerAdapter}, which runs a base rule alone as a DJL
 * optimizer for baselines.
 */
package org.shampoo4j.shampoo.base;
