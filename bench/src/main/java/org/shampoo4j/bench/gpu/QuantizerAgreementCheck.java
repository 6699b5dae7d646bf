package org.shampoo4j.bench.gpu;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.shampoo4j.bench.jmh.JmhDevice;
import org.shampoo4j.quant.ArrayQuantizer;
import org.shampoo4j.quant.Blocking;
import org.shampoo4j.quant.CodeKernels;
import org.shampoo4j.quant.CodePacker;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.FloatTensor;
import org.shampoo4j.quant.NDArrayQuantizer;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.PackedTensor;
import org.shampoo4j.quant.QuantizationMap;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.quant.linear2.ZeroFreeLinearMap;

/**
 * Checks on one device that the DJL quantizer ({@link NDArrayQuantizer}, and {@link CodeKernels}'
 * packing) equals the pure-Java {@link ArrayQuantizer} bit for bit: packed codes, scales, kept
 * diagonals and dequantized values, for every map at 3, 4 and 8 bits, flat and row blocks, dense
 * and off-diagonal layouts, odd and even lengths, on random data with planted codebook midpoints
 * and their float32 neighbours (the tie rule).
 *
 * <p>Usage: {@code java -cp bench.jar:lib/* org.shampoo4j.bench.gpu.QuantizerAgreementCheck
 * [--device cpu|gpu] [--out DIR] [--seed N]}. Writes {@code DIR/quantizer-agreement.txt} (one line
 * per case and a summary) and exits 1 if any case differs, 2 on bad options.
 */
public final class QuantizerAgreementCheck {
  private static final int[] WIDTHS = {3, 4, 8};
  private static final QuantizationMap[] MAPS = {
    new Linear2Map(), new DynamicTreeMap(), new ZeroFreeLinearMap()
  };

  private final Device device;
  private final Random random;
  private final List<String> lines = new ArrayList<>();
  private int cases;
  private int failures;

  private QuantizerAgreementCheck(Device device, long seed) {
    this.device = device;
    this.random = new Random(seed);
  }

  /** Entry point. */
  public static void main(String[] args) throws IOException {
    String deviceName = "cpu";
    Path out = Path.of("bench-out", "gpu");
    long seed = 42;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--device" -> deviceName = value(args, ++i);
        case "--out" -> out = Path.of(value(args, ++i));
        case "--seed" -> seed = Long.parseLong(value(args, ++i));
        default -> {
          System.err.println("unknown option " + args[i]
              + "; usage: QuantizerAgreementCheck [--device cpu|gpu] [--out DIR] [--seed N]");
          System.exit(2);
        }
      }
    }
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    Device device;
    try {
      device = JmhDevice.resolve(deviceName);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    QuantizerAgreementCheck check = new QuantizerAgreementCheck(device, seed);
    long start = System.nanoTime();
    check.run();
    double seconds = (System.nanoTime() - start) / 1e9;
    check.lines.add(String.format(Locale.ROOT, "%s: %d cases, %d mismatches, %.1f s on %s",
        check.failures == 0 ? "PASS" : "FAIL", check.cases, check.failures, seconds, device));
    Files.createDirectories(out);
    Path report = out.resolve("quantizer-agreement.txt");
    Files.writeString(report, String.join("\n", check.lines) + "\n", StandardCharsets.UTF_8);
    System.out.println(check.lines.get(check.lines.size() - 1) + " (report: " + report + ")");
    System.exit(check.failures == 0 ? 0 : 1);
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      System.err.println(args[i - 1] + " needs a value");
      System.exit(2);
    }
    return args[i];
  }

  private void run() {
    int[][] shapes = {
      {4097}, {4096}, {100_003}, {65, 65}, {64, 64}, {127, 127}, {201, 201}, {1001, 1001},
      {33, 129}, {3, 5, 300}
    };
    try (NDManager manager = NDManager.newBaseManager(device);
        CodeKernels kernels = new CodeKernels(manager)) {
      for (QuantizationMap map : MAPS) {
        for (int bits : WIDTHS) {
          Codebook codebook = map.codebook(bits);
          for (int[] shape : shapes) {
            for (Blocking blocking : Blocking.values()) {
              for (int blockSize : new int[] {64, 37}) {
                QuantizationSpec spec = QuantizationSpec.builder(codebook).blockSize(blockSize)
                    .blocking(blocking).minQuantizedElements(0).build();
                boolean square = shape.length == 2 && shape[0] == shape[1];
                checkQuantizer(manager, kernels, spec, shape, false);
                if (square) {
                  checkQuantizer(manager, kernels, spec, shape, true);
                }
              }
            }
          }
          for (int n : new int[] {1, 7, 8, 9, 4097, 100_001}) {
            checkPacking(manager, kernels, bits, n);
          }
        }
      }
    }
  }

  private void checkQuantizer(NDManager manager, CodeKernels kernels, QuantizationSpec spec,
      int[] shape, boolean offDiagonal) {
    int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    float[] x = data(n, spec.codebook(), spec.blockSize());
    ArrayQuantizer host = new ArrayQuantizer(spec);
    NDArrayQuantizer djl = new NDArrayQuantizer(spec, false, kernels);
    FloatTensor tensor = FloatTensor.of(x, shape);
    PackedTensor expected = offDiagonal ? host.quantizeOffDiagonal(tensor) : host.quantize(tensor);
    float[] expectedValues = host.dequantize(expected).data();
    String name = String.format(Locale.ROOT, "%s %s block=%d %s%s", spec.codebook().id(),
        Arrays.toString(shape), spec.blockSize(), spec.blocking(),
        offDiagonal ? " off-diagonal" : "");
    try (NDManager scope = manager.newSubManager()) {
      long[] dims = Arrays.stream(shape).asLongStream().toArray();
      NDArray a = scope.create(x, new Shape(dims));
      PackedNDArray packed = offDiagonal ? djl.quantizeOffDiagonal(a) : djl.quantize(a);
      PackedTensor actual = packed.toHost();
      String problem = null;
      if (!Arrays.equals(expected.scales(), actual.scales())) {
        problem = "scales differ";
      } else if (!Arrays.equals(expected.codes(), actual.codes())) {
        problem = "codes differ at byte " + firstDifference(expected.codes(), actual.codes());
      } else if (!expected.equals(actual)) {
        problem = "kept fp32 values or metadata differ";
      } else {
        float[] values = djl.dequantize(packed).toFloatArray();
        if (!Arrays.equals(expectedValues, values)) {
          problem = "dequantized values differ";
        } else {
          // The device also decodes what the host packed.
          float[] uploaded =
              djl.dequantize(PackedNDArray.fromHost(expected, scope)).toFloatArray();
          if (!Arrays.equals(expectedValues, uploaded)) {
            problem = "dequantizing the host-packed tensor differs";
          }
        }
      }
      record(name, problem);
    }
  }

  private void checkPacking(NDManager manager, CodeKernels kernels, int bits, int n) {
    byte[] codes = new byte[n];
    for (int i = 0; i < n; i++) {
      codes[i] = (byte) random.nextInt(1 << bits);
    }
    CodePacker packer = new CodePacker(bits);
    byte[] packed = packer.pack(codes);
    String problem = null;
    try (NDManager scope = manager.newSubManager()) {
      NDArray deviceCodes = scope.create(ByteBuffer.wrap(codes), new Shape(n), DataType.UINT8);
      NDArray devicePacked =
          scope.create(ByteBuffer.wrap(packed), new Shape(packed.length), DataType.UINT8);
      if (!Arrays.equals(packed, kernels.pack(deviceCodes, bits).toByteArray())) {
        problem = "pack differs from CodePacker";
      } else if (!Arrays.equals(codes, kernels.unpack(devicePacked, bits, n).toByteArray())) {
        problem = "unpack differs from CodePacker";
      }
    }
    record(String.format(Locale.ROOT, "packing %d-bit n=%d", bits, n), problem);
  }

  private void record(String name, String problem) {
    cases++;
    if (problem != null) {
      failures++;
    }
    lines.add((problem == null ? "ok   " : "FAIL ") + name + (problem == null ? "" : ": " + problem));
  }

  /**
   * Gaussian data over several decades with exact zeros; a third of the blocks hold ±1 and
   * codebook midpoints or their float32 neighbours, so ties and near-ties are exercised.
   */
  private float[] data(int n, Codebook codebook, int blockSize) {
    float[] x = new float[n];
    double magnitude = 1;
    for (int i = 0; i < n; i++) {
      if (random.nextInt(64) == 0) {
        magnitude = Math.pow(10, random.nextInt(7) - 3);
      }
      x[i] = random.nextInt(20) == 0 ? 0f : (float) (random.nextGaussian() * magnitude);
    }
    float[] mid = codebook.midpoints();
    for (int from = 0; from < n; from += blockSize) {
      if (random.nextInt(3) != 0) {
        continue;
      }
      int to = Math.min(n, from + blockSize);
      for (int i = from; i < to; i++) {
        float m = mid[random.nextInt(mid.length)];
        int pick = random.nextInt(4);
        x[i] = pick == 0 ? Math.nextUp(m) : pick == 1 ? Math.nextDown(m) : m;
      }
      x[from + random.nextInt(to - from)] = random.nextBoolean() ? 1f : -1f;
    }
    return x;
  }

  private static int firstDifference(byte[] a, byte[] b) {
    int n = Math.min(a.length, b.length);
    for (int i = 0; i < n; i++) {
      if (a[i] != b[i]) {
        return i;
      }
    }
    return n;
  }
}
