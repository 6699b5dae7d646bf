package org.shampoo4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.testing.QuantizerChecks;

/**
 * The encoder follows the official CUDA kernels' rules (docs/algorithms.md §8): scale by {@code x·(1/s)} with the
 * float32 reciprocal, nearest code by the float32 midpoints, an exact tie to the even code; and
 * row blocking puts every block inside one row, exactly as quantizing each row on its own would.
 */
class OfficialRulesTest {
  /** The official rules written out element by element, for any block grid. */
  static byte[] referenceCodes(Codebook cb, float[] x, BlockGrid grid) {
    float[] mid = cb.midpoints();
    byte[] codes = new byte[x.length];
    for (long b = 0; b < grid.blockCount(); b++) {
      float s = 0f;
      for (long i = grid.from(b); i < grid.to(b); i++) {
        s = Math.max(s, Math.abs(x[(int) i]));
      }
      float inverse = s > 0 ? 1f / s : 0f;
      for (long i = grid.from(b); i < grid.to(b); i++) {
        float y = x[(int) i] * inverse;
        int code = 0;
        for (int j = 0; j < mid.length; j++) {
          if (y > mid[j] || (y == mid[j] && (j & 1) == 1)) {
            code++;
          }
        }
        codes[(int) i] = (byte) code;
      }
    }
    return codes;
  }

  @Property(tries = 80, seed = "42")
  void codesFollowTheOfficialRules(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 90) int rows,
      @ForAll @IntRange(min = 1, max = 90) int columns,
      @ForAll boolean rowBlocks,
      @ForAll long seed) {
    Random r = new Random(seed);
    Codebook cb = TestCodebooks.random(bits, r, r.nextBoolean());
    int[] blockSizes = {64, 7, 1 + r.nextInt(100)};
    QuantizationSpec spec = QuantizationSpec.builder(cb)
        .blockSize(blockSizes[r.nextInt(blockSizes.length)])
        .blocking(rowBlocks ? Blocking.ROWS : Blocking.FLAT)
        .minQuantizedElements(0)
        .build();
    float[] x = QuantizerChecks.data(rows * columns, r);
    QuantizerAgreementTest.plantMidpoints(x, cb, spec.blockSize(), r);
    int[] shape = {rows, columns};
    PackedTensor p = new ArrayQuantizer(spec).quantize(FloatTensor.of(x, shape));
    byte[] expected = referenceCodes(cb, x, spec.grid(shape));
    assertArrayEquals(expected, new CodePacker(bits).unpack(p.codes(), x.length));
  }

  /**
   * Where x / s and x·(1/s) differ by an ulp, a codebook whose midpoint is the smaller of the two
   * tells them apart (the tie goes to code 0, the larger value to code 1): the quantizer must give
   * the code of x·(1/s).
   */
  @Test
  void scalesByTheFloat32Reciprocal() {
    Random r = new Random(7);
    int found = 0;
    for (int trial = 0; trial < 1_000_000 && found < 20; trial++) {
      float s = 0.5f + r.nextFloat();
      float x = (0.3f + 0.6f * r.nextFloat()) * s;
      float multiplied = x * (1f / s);
      float divided = x / s;
      if (divided == multiplied) {
        continue;
      }
      found++;
      float low = Math.min(divided, multiplied);
      // (2·low − 1 + 1)·0.5 = low exactly for low in [0.25, 1].
      Codebook cb = Codebook.of("t", 1, new float[] {2 * low - 1f, 1f});
      assertEquals(low, cb.midpoints()[0]);
      QuantizationSpec spec =
          QuantizationSpec.builder(cb).blockSize(2).minQuantizedElements(0).build();
      PackedTensor p = new ArrayQuantizer(spec).quantize(FloatTensor.vector(new float[] {x, s}));
      int expected = multiplied > divided ? 1 : 0;
      assertEquals(expected, p.codes()[0] & 1, "x=" + x + " s=" + s);
    }
    assertEquals(20, found, "cases where the two scalings differ");
  }

  @Property(tries = 60, seed = "42")
  void rowBlocksEqualQuantizingEveryRowAlone(
      @ForAll @IntRange(min = 1, max = 8) int bits,
      @ForAll @IntRange(min = 1, max = 70) int rows,
      @ForAll @IntRange(min = 1, max = 150) int columns,
      @ForAll @IntRange(min = 1, max = 80) int blockSize,
      @ForAll long seed) {
    Random r = new Random(seed);
    Codebook cb = TestCodebooks.random(bits, r, r.nextBoolean());
    QuantizationSpec rowSpec = QuantizationSpec.builder(cb).blockSize(blockSize)
        .blocking(Blocking.ROWS).minQuantizedElements(0).build();
    ArrayQuantizer byRows = new ArrayQuantizer(rowSpec);
    ArrayQuantizer flat = new ArrayQuantizer(rowSpec.toBuilder().blocking(Blocking.FLAT).build());
    float[] x = QuantizerChecks.data(rows * columns, r);
    PackedTensor matrix = byRows.quantize(FloatTensor.of(x, rows, columns));
    assertEquals(rows * (long) ((columns + blockSize - 1) / blockSize), matrix.scales().length);
    CodePacker packer = new CodePacker(bits);
    byte[] codes = packer.unpack(matrix.codes(), x.length);
    float[] scales = matrix.scales();
    float[] back = byRows.dequantize(matrix).data();
    int perRow = (columns + blockSize - 1) / blockSize;
    for (int i = 0; i < rows; i++) {
      float[] row = Arrays.copyOfRange(x, i * columns, (i + 1) * columns);
      PackedTensor alone = flat.quantize(FloatTensor.vector(row));
      assertArrayEquals(packer.unpack(alone.codes(), columns),
          Arrays.copyOfRange(codes, i * columns, (i + 1) * columns), "codes of row " + i);
      assertArrayEquals(alone.scales(),
          Arrays.copyOfRange(scales, i * perRow, (i + 1) * perRow), "scales of row " + i);
      assertArrayEquals(flat.dequantize(alone).data(),
          Arrays.copyOfRange(back, i * columns, (i + 1) * columns), "values of row " + i);
    }
  }
}
