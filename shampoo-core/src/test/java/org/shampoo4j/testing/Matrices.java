package org.shampoo4j.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;

/** Small dense double-precision helpers for building test problems on the host. */
public final class Matrices {
  private Matrices() {}

  /** n values log-spaced from {@code lo} to {@code hi} (n = 1 gives {@code hi}). */
  public static double[] logSpaced(double lo, double hi, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      double t = n == 1 ? 1 : (double) i / (n - 1);
      v[i] = Math.exp(Math.log(lo) + t * (Math.log(hi) - Math.log(lo)));
    }
    return v;
  }

  /** A random n×n orthogonal matrix (Gram–Schmidt of a Gaussian matrix), row-major. */
  public static double[] randomOrthogonal(int n, Random random) {
    double[] q = new double[n * n];
    for (int i = 0; i < q.length; i++) {
      q[i] = random.nextGaussian();
    }
    // Orthonormalise columns twice for accuracy.
    for (int pass = 0; pass < 2; pass++) {
      for (int j = 0; j < n; j++) {
        for (int k = 0; k < j; k++) {
          double dot = 0;
          for (int i = 0; i < n; i++) {
            dot += q[i * n + j] * q[i * n + k];
          }
          for (int i = 0; i < n; i++) {
            q[i * n + j] -= dot * q[i * n + k];
          }
        }
        double norm = 0;
        for (int i = 0; i < n; i++) {
          norm += q[i * n + j] * q[i * n + j];
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < n; i++) {
          q[i * n + j] /= norm;
        }
      }
    }
    return q;
  }

  /** {@code Q·diag(spectrum)·Qᵀ} for a random orthogonal Q: symmetric with that spectrum. */
  public static double[] symmetricWithSpectrum(double[] spectrum, Random random) {
    int n = spectrum.length;
    double[] q = randomOrthogonal(n, random);
    double[] out = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += q[i * n + k] * spectrum[k] * q[j * n + k];
        }
        out[i * n + j] = s;
      }
    }
    return out;
  }

  /** Rounds to float. */
  public static float[] toFloat(double[] x) {
    float[] f = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      f[i] = (float) x[i];
    }
    return f;
  }

  /** A float32 copy of an EJML (double) matrix on the manager's device. */
  public static NDArray toNd(NDManager manager, DMatrixRMaj a) {
    float[] f = new float[a.getNumElements()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) a.get(i);
    }
    return manager.create(f).reshape(a.numRows, a.numCols);
  }

  /** A double EJML copy of a 2-D float array (reads the device array to the host). */
  public static DMatrixRMaj fromNd(NDArray a) {
    long[] s = a.getShape().getShape();
    float[] f = a.toFloatArray();
    DMatrixRMaj d = new DMatrixRMaj((int) s[0], (int) s[1]);
    for (int i = 0; i < f.length; i++) {
      d.set(i, f[i]);
    }
    return d;
  }
}
