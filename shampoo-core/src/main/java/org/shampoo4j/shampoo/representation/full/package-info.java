/** The 32-bit baseline representation: dense fp32 statistics and inverse roots. */
package org.shampoo4j.shampoo.representation.full;
