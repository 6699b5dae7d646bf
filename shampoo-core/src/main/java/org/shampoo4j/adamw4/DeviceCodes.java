package org.shampoo4j.adamw4;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.shampoo4j.quant.Codebook;

/**
 * Encoding and packing of codes as tensor operations on the device, with the conventions of
 * quant-api: the nearest code is found by comparing with the codebook's float32 midpoints (ties go
 * to the lower code, as {@link Codebook#encode(float)} does), and codes are packed into the
 * little-endian bit stream of {@link org.shampoo4j.quant.CodePacker} (for 4 bits, element 2i in the
 * low nibble, 2i+1 in the high nibble, an odd tail padded with code 0).
 *
 * <p>quant-api keeps its own device packing package-private, so this class restates it for the
 * rank-1 quantizer; {@code DeviceCodesTest} checks it against {@code CodePacker} byte for byte.
 * Every result is created in the manager of its input.
 */
final class DeviceCodes {
  private DeviceCodes() {}

  /**
   * The code of the nearest codebook value for every element of {@code y} (values already divided
   * by their scale), as {@code int64}, same shape as {@code y}: the number of midpoints strictly
   * below y, counted by one broadcast comparison against all {@code 2^bits − 1} midpoints. That is
   * three tensor operations whatever the width (a per-step binary search costs five per bit), at a
   * transient boolean buffer of {@code (2^bits − 1)} bytes per element, 15 for 4 bits, which is
   * below the fp32 temporaries of an optimizer step.
   */
  static NDArray nearestCodes(NDArray y, Codebook codebook) {
    NDManager scope = y.getManager();
    NDArray midpoints = scope.create(codebook.midpoints());
    return y.expandDims(-1).gt(midpoints).sum(new int[] {-1}).toType(DataType.INT64, false);
  }

  /** The codebook values of {@code codes} ({@code int64}) as float32, same shape. */
  static NDArray values(NDArray codes, Codebook codebook) {
    return codes.getManager().create(codebook.values()).take(codes);
  }

  /**
   * Packs codes (one per element, any integer type, flattened in row-major order) into {@code
   * ceil(n * bits / 8)} bytes of {@code uint8}. All intermediate values stay below 256, so float32
   * arithmetic is exact.
   */
  static NDArray pack(NDArray codes, int bits) {
    NDManager scope = codes.getManager();
    long n = codes.size();
    long packedLength = (n * bits + 7) / 8;
    NDArray c = codes.flatten().toType(DataType.FLOAT32, false);
    if (bits == 8) {
      return c.toType(DataType.UINT8, false);
    }
    if (bits == 4) {
      NDArray pairs = padTo(c, (n + 1) / 2 * 2).reshape(-1, 2);
      return pairs.get(":, 0").add(pairs.get(":, 1").mul(16)).toType(DataType.UINT8, false);
    }
    // General width: split each group of 8 codes into bit planes laid out in stream order, then
    // sum every run of 8 stream bits with weights 1, 2, ..., 128.
    long groups = (n + 7) / 8;
    NDArray grouped = padTo(c, groups * 8).reshape(groups, 8);
    NDArray planes = bitPlanes(grouped, bits).reshape(groups, bits, 8);
    NDArray bytes = planes.mul(powersOfTwo(scope, 8)).sum(new int[] {2}).flatten();
    return bytes.get("0:" + packedLength).toType(DataType.UINT8, false);
  }

  /** Unpacks {@code count} codes (as {@code int64}) from a packed {@code uint8} stream. */
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
    return padTo(codes, count).get("0:" + count).toType(DataType.INT64, false);
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

  private static NDArray padTo(NDArray flat, long length) {
    long missing = length - flat.size();
    if (missing <= 0) {
      return flat;
    }
    return flat.concat(flat.getManager().zeros(new Shape(missing), flat.getDataType()));
  }
}
