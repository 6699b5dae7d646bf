package org.shampoo4j.linalg;

import ai.djl.ndarray.NDArray;

/**
 * Eigenvalues (ascending, a vector) and the matching eigenvectors (the columns of {@code vectors})
 * of a symmetric matrix.
 *
 * @param values eigenvalues, shape (n)
 * @param vectors eigenvectors as columns, shape (n, n)
 */
public record EigenPairs(NDArray values, NDArray vectors) {}
