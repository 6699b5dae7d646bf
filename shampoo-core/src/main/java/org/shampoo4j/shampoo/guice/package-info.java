/**
 * Guice wiring: {@link org.shampoo4j.shampoo.guice.ShampooModule} binds a ready optimizer; one
 * representation module (for example {@link org.shampoo4j.shampoo.guice.FullMatrixModule})
 * chooses how statistics are stored, and modules may override the base optimizer.
 */
package org.shampoo4j.shampoo.guice;
