package org.shampoo4j.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * {@link DeviceCodes} as plain NDArray operations, for engines other than PyTorch (where the fused
 * TorchScript kernels cannot run) and as an independent second implementation in the tests. Same
 * results bit for bit; many more passes over memory (int64 intermediates). Stateless.
 */
final class NDArrayCodes {
  private NDArrayCodes() {}

  /** See {@link DeviceCodes#encodeBlocks(NDArray, Codebook, int, long)}; codes are uint8. */
  static DeviceCodes.BlockEncoding encodeBlocks(
      NDArray tensor, Codebook codebook, int blockSize, long rowLength) {
    long n = tensor.size();
    NDManager scope = tensor.getManager();
    NDArray flat = tensor.toType(DataType.FLOAT32, false).flatten();
    NDArray blocked = toBlocks(flat, blockSize, rowLength);
    NDArray scales = blocked.abs().max(new int[] {1});
    NDArray safe = NDArrays.where(scales.eq(0), scope.ones(scales.getShape()), scales);
    // x·(1/s) with the float32 reciprocal, as the official kernels and ArrayQuantizer scale.
    NDArray y = blocked.mul(scope.ones(safe.getShape()).div(safe).expandDims(1));
    NDArray codes = fromBlocks(nearestCodes(y, codebook), n, rowLength);
    return new DeviceCodes.BlockEncoding(codes, scales);
  }

  /** See {@link DeviceCodes#decodeBlocks(NDArray, NDArray, Codebook, int, long)}. */
  static NDArray decodeBlocks(
      NDArray codes, NDArray scales, Codebook codebook, int blockSize, long rowLength) {
    long n = codes.size();
    NDArray values = toBlocks(values(codes.flatten(), codebook), blockSize, rowLength);
    return fromBlocks(values.mul(scales.expandDims(1)), n, rowLength);
  }

  // (n) -> (rows·perRow, width): every row zero-padded to whole blocks. The width is the block
  // size, or the row length when one block holds the row, so that a block size far above the
  // data (any positive int is valid) never allocates more than the data.
  private static NDArray toBlocks(NDArray flat, int blockSize, long rowLength) {
    long rows = flat.size() / rowLength;
    long width = Math.min(blockSize, rowLength);
    long perRow = Shapes.blockCount(rowLength, (int) width);
    NDArray matrix = flat.reshape(rows, rowLength);
    long missing = perRow * width - rowLength;
    if (missing > 0) {
      matrix = matrix.concat(
          flat.getManager().zeros(new Shape(rows, missing), flat.getDataType()), 1);
    }
    return matrix.reshape(rows * perRow, width);
  }

  // The inverse of toBlocks: drops each row's padding and flattens.
  private static NDArray fromBlocks(NDArray blocks, long n, long rowLength) {
    long rows = n / rowLength;
    NDArray matrix = blocks.reshape(rows, -1);
    if (matrix.getShape().get(1) != rowLength) {
      matrix = matrix.get(":, 0:" + rowLength);
    }
    return matrix.flatten();
  }

  /**
   * The nearest code of every element of {@code y} (values already scaled), as {@code uint8} of
   * y's shape: the number of thresholds strictly below y, found by binary lifting over the sorted
   * thresholds in {@code bits} steps, so memory stays linear in y.
   */
  static NDArray nearestCodes(NDArray y, Codebook codebook) {
    NDManager scope = y.getManager();
    NDArray flat = y.flatten();
    NDArray thresholds = scope.create(codebook.thresholds());
    NDArray code = scope.zeros(flat.getShape(), DataType.INT64);
    for (int step = 1 << (codebook.bits() - 1); step >= 1; step >>= 1) {
      NDArray candidate = code.add(step);
      NDArray threshold = thresholds.gather(candidate.sub(1), 0);
      code = NDArrays.where(flat.gt(threshold), candidate, code);
    }
    return code.reshape(y.getShape()).toType(DataType.UINT8, false);
  }

  /** The codebook values of {@code codes} (any integer or exact-float type) as float32. */
  static NDArray values(NDArray codes, Codebook codebook) {
    NDArray index = codes.flatten().toType(DataType.INT64, false);
    return codes.getManager().create(codebook.values()).gather(index, 0).reshape(codes.getShape());
  }

  /**
   * Packs codes (one per element, small non-negative integers of any numeric type, read
   * row-major) into {@code ceil(n·bits/8)} {@code uint8} bytes, byte for byte as {@link
   * CodePacker#pack}. Each group of 8 codes becomes {@code bits} bytes: the codes are split into
   * bit planes laid out in stream order and each run of 8 bits is summed with weights 1..128. All
   * values stay below 256, so float32 arithmetic is exact.
   */
  static NDArray pack(NDArray codes, int bits) {
    NDManager scope = codes.getManager();
    long n = codes.size();
    NDArray c = codes.flatten().toType(DataType.FLOAT32, false);
    if (bits == 8) {
      return c.toType(DataType.UINT8, false);
    }
    if (bits == 4) {
      NDArray pairs = padTo(c, (n + 1) / 2 * 2).reshape(-1, 2);
      return pairs.get(":, 0").add(pairs.get(":, 1").mul(16)).toType(DataType.UINT8, false);
    }
    long groups = (n + 7) / 8;
    NDArray grouped = padTo(c, groups * 8).reshape(groups, 8);
    NDArray planes = bitPlanes(grouped, bits).reshape(groups, bits, 8);
    NDArray bytes = planes.mul(powersOfTwo(scope, 8)).sum(new int[] {2}).flatten();
    return bytes.get("0:" + (n * bits + 7) / 8).toType(DataType.UINT8, false);
  }

  /**
   * Unpacks {@code count} codes, as {@code uint8}, from a packed {@code uint8} stream (the inverse
   * of {@link #pack}).
   */
  static NDArray unpack(NDArray packed, int bits, long count) {
    NDManager scope = packed.getManager();
    NDArray b = packed.toType(DataType.FLOAT32, false);
    NDArray codes;
    if (bits == 8) {
      codes = b;
    } else if (bits == 4) {
      NDArray high = b.div(16).floor();
      NDArray low = b.sub(high.mul(16));
      codes = NDArrays.stack(new NDList(low, high), 1).flatten();
    } else {
      long groups = (count + 7) / 8;
      NDArray grouped = padTo(b, groups * bits).reshape(groups * bits, 1);
      NDArray streamBits = bitPlanes(grouped, 8).reshape(groups, 8, bits);
      codes = streamBits.mul(powersOfTwo(scope, bits)).sum(new int[] {2}).flatten();
    }
    return padTo(codes, count).get("0:" + count).toType(DataType.UINT8, false);
  }

  /** {@code flat} extended with zeros of its type to {@code length} elements. */
  static NDArray padTo(NDArray flat, long length) {
    long missing = length - flat.size();
    if (missing <= 0) {
      return flat;
    }
    return flat.concat(flat.getManager().zeros(new Shape(missing), flat.getDataType()));
  }

  // x (rows, k) of small non-negative integers -> (rows, k * width): bit t of x[r, j] at j*width+t.
  private static NDArray bitPlanes(NDArray x, int width) {
    NDArray[] planes = new NDArray[width];
    for (int t = 0; t < width; t++) {
      planes[t] = x.div(1 << t).floor().mod(2);
    }
    NDArray stacked = NDArrays.stack(new NDList(planes), 2);
    return stacked.reshape(x.getShape().get(0), x.getShape().get(1) * width);
  }

  private static NDArray powersOfTwo(NDManager scope, int count) {
    float[] w = new float[count];
    for (int t = 0; t < count; t++) {
      w[t] = 1 << t;
    }
    return scope.create(w);
  }
}
