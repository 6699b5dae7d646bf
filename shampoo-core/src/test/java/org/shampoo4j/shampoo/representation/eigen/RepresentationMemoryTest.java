package org.shampoo4j.shampoo.representation.eigen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.shampoo4j.shampoo.representation.eigen.RepresentationFixtures.*;
import static org.shampoo4j.testing.Matrices.fromNd;
import static org.shampoo4j.testing.Matrices.toNd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;
import org.shampoo4j.quant.Blocking;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.representation.Preconditioner;
import org.shampoo4j.shampoo.representation.PreconditionerContext;
import org.shampoo4j.shampoo.representation.naive.NaiveQuantizedRepresentation;
import org.shampoo4j.testing.Matrices;

/**
 * Reported bytes equal the packed buffers docs/algorithms.md §2 prescribes: ⌈n²·4/8⌉ bytes of codes plus 4 bytes
 * per block for each quantized matrix, fp32 for diagonals and eigenvalues, and plain fp32 below
 * 4096 elements; unchanged by updates. Blocks lie inside rows by default (n·⌈n/64⌉ of them, the
 * official layout: 4.5 bits per element when 64 divides n, more otherwise); the flat layout has
 * ⌈n²/64⌉.
 */
class RepresentationMemoryTest {
  @ParameterizedTest
  @CsvSource({"32, ROWS", "64, ROWS", "100, ROWS", "128, ROWS", "99, ROWS", "100, FLAT",
      "99, FLAT"})
  void memoryMatchesThePackedBuffers(int n, Blocking blocking) {
    long elements = (long) n * n;
    boolean quantized = elements >= 4096;
    long blocks = blocking == Blocking.ROWS ? n * (long) ((n + 63) / 64) : (elements + 63) / 64;
    // One quantized n×n matrix: codes + scales (+ its fp32 diagonal when off-diagonal).
    MemoryFootprint dense = quantized
        ? new MemoryFootprint((elements + 1) / 2, 4 * blocks, 0)
        : MemoryFootprint.ofFp32(elements);
    MemoryFootprint offDiagonal = quantized
        ? new MemoryFootprint((elements + 1) / 2, 4 * blocks, 4L * n)
        : MemoryFootprint.ofFp32(elements);
    MemoryFootprint eigenExpected = dense.plus(MemoryFootprint.ofFp32(n)).plus(offDiagonal);
    MemoryFootprint naiveExpected = offDiagonal.plus(offDiagonal);
    try (NDManager m = NDManager.newBaseManager();
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(m)) {
      PreconditionerContext ctx = context(m, f, 4096).toBuilder().blocking(blocking).build();
      try (Preconditioner eigen =
              EigenBjorckRepresentation.builder(new Linear2Map()).build().create(n, ctx);
          Preconditioner naive = new NaiveQuantizedRepresentation(new Linear2Map()).create(n, ctx);
          NDArray g = toNd(m, gram(gaussian(n, n, new Random(n))))) {
        assertEquals(eigenExpected, eigen.memory(), "eigen-bjorck at creation");
        assertEquals(naiveExpected, naive.memory(), "naive at creation");
        for (int i = 0; i < 2; i++) {
          eigen.accumulate(g);
          naive.accumulate(g);
        }
        eigen.refreshInverseRoot();
        naive.refreshInverseRoot();
        assertEquals(eigenExpected, eigen.memory(), "eigen-bjorck after updates");
        assertEquals(naiveExpected, naive.memory(), "naive after updates");
        double eigenBits = eigen.memory().bitsPerElement(2 * elements);
        double naiveBits = naive.memory().bitsPerElement(2 * elements);
        System.out.printf(
            "n=%d %s: eigen-bjorck %d bytes (%.3f bits/element of V and L^), naive %d bytes (%.3f),"
                + " V alone %.3f bits/element, fp32 full matrix would be %d%n",
            n, blocking, eigen.memory().total(), eigenBits, naive.memory().total(), naiveBits,
            8.0 * dense.total() / elements, 2 * 4 * elements);
        if (quantized && n % 64 == 0) {
          assertEquals(4.5, 8.0 * (dense.codeBytes() + dense.scaleBytes()) / elements, 1e-12);
        }
      }
    }
  }
}
