/** Random generators whose state a checkpoint can store as plain bytes. */
package org.shampoo4j.bench.random;
