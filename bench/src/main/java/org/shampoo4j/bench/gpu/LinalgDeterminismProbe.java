package org.shampoo4j.bench.gpu;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;
import org.shampoo4j.linalg.TorchScriptMatrixFunctions;

/**
 * Repeats each matrix function the optimizer uses (QR, eigh, Cholesky, matmul) on one fixed input
 * and counts the distinct results, bit for bit: whether the device itself is deterministic, which
 * a bit-exact resume test presupposes.
 */
final class LinalgDeterminismProbe {
  private LinalgDeterminismProbe() {}

  /** One CSV line per operation and order: {@code op,order,repeats,distinct_results}. */
  static List<String> run(Device device, int repeats) {
    List<String> rows = new ArrayList<>();
    try (NDManager manager = NDManager.newBaseManager(device);
        TorchScriptMatrixFunctions f = new TorchScriptMatrixFunctions(manager)) {
      for (int n : new int[] {10, 64, 128}) {
        NDArray a = random(manager, n, 17 + n);
        NDArray spd = a.matMul(a.transpose()).add(manager.eye(n).mul(0.1f));
        rows.add(row("qr", n, repeats, i -> f.qr(a)));
        rows.add(row("eigh.vectors", n, repeats, i -> f.eigh(spd).vectors()));
        rows.add(row("cholesky", n, repeats, i -> f.cholesky(spd)));
        rows.add(row("matmul", n, repeats, i -> a.matMul(a.transpose())));
      }
    } catch (Exception e) {
      rows.add("error," + e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return rows;
  }

  private static String row(String op, int n, int repeats, Function<Integer, NDArray> f) {
    List<float[]> seen = new ArrayList<>();
    for (int i = 0; i < repeats; i++) {
      float[] v = f.apply(i).toFloatArray();
      if (seen.stream().noneMatch(s -> Arrays.equals(s, v))) {
        seen.add(v);
      }
    }
    return String.format(Locale.ROOT, "%s,%d,%d,%d", op, n, repeats, seen.size());
  }

  private static NDArray random(NDManager manager, int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n * n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return manager.create(v, new Shape(n, n));
  }
}
