/**
 * Shampoo statistics held as quantized Cholesky factors with error feedback (docs/algorithms.md §4, §6).
 *
 * <p>{@link org.shampoo4j.cholesky.CholeskyEfModule} binds {@link
 * org.shampoo4j.cholesky.CholeskyEfRepresentation} as the optimizer's representation; {@link
 * org.shampoo4j.cholesky.CholeskyEfConfig} holds its settings (error feedback, βe, retries, ridge
 * growth, root storage). Per statistic of order n, {@link
 * org.shampoo4j.cholesky.CholeskyEfPreconditioner} stores one packed code matrix of n(n−1)
 * off-diagonal codes (factor below the diagonal, error state above), two block-scale vectors and
 * the factor's fp32 diagonal, plus the inverse root.
 */
package org.shampoo4j.cholesky;
