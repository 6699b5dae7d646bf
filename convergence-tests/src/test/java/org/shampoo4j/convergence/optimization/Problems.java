package org.shampoo4j.convergence.optimization;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.shampoo4j.convergence.fixtures.Dense;

/**
 * The six small test problems, all over a 64×64 weight matrix W (so Shampoo's L and R are 64×64 =
 * 4096 elements, the smallest size docs/algorithms.md §2 quantizes). Inputs {@code x ∈ R^64} are Gaussian with
 * feature standard deviations geometric from 1 to 0.1 (an ill-conditioned input covariance, where
 * preconditioning matters); N = 256 samples; mini-batches of 16. Targets come from a random teacher
 * of the same form plus noise.
 *
 * <ul>
 *   <li>smooth: least squares; multinomial logistic regression (64 classes, ridge 1e-3); a
 *       non-convex two-layer tanh network {@code V·tanh(W·x)} with a fixed 8×64 readout V;
 *   <li>non-smooth: l1 regression; multiclass hinge loss (Crammer–Singer, ridge 1e-3); a two-layer
 *       ReLU network {@code V·relu(W·x)} with squared loss.
 * </ul>
 */
final class Problems {
  static final int DIM = 64;
  private static final int SAMPLES = 256;
  private static final int BATCH = 16;
  private static final int READOUT = 8;
  private static final double RIDGE = 1e-3;

  private Problems() {}

  /** All six problems, built from one seed. */
  static Problem[] all(long seed) {
    return new Problem[] {
        new Regression("least squares", true, seed),
        new Logistic(seed + 1),
        new Network("tanh net", true, seed + 2),
        new Regression("l1 regression", false, seed + 3),
        new Hinge(seed + 4),
        new Network("ReLU net", false, seed + 5)};
  }

  private static DMatrixRMaj inputs(Random random, int count) {
    DMatrixRMaj x = Dense.gaussian(DIM, count, random);
    for (int k = 0; k < DIM; k++) {
      double sd = Math.pow(0.1, (double) k / (DIM - 1));
      for (int i = 0; i < count; i++) {
        x.set(k, i, x.get(k, i) * sd);
      }
    }
    return x;
  }

  private static int[] batch(Random random) {
    int[] idx = new int[BATCH];
    for (int b = 0; b < BATCH; b++) {
      idx[b] = random.nextInt(SAMPLES);
    }
    return idx;
  }

  private static DMatrixRMaj columns(DMatrixRMaj m, int[] idx) {
    DMatrixRMaj out = new DMatrixRMaj(m.numRows, idx.length);
    for (int r = 0; r < m.numRows; r++) {
      for (int b = 0; b < idx.length; b++) {
        out.set(r, b, m.get(r, idx[b]));
      }
    }
    return out;
  }

  private static int[] entries(int[] labels, int[] idx) {
    int[] out = new int[idx.length];
    for (int b = 0; b < idx.length; b++) {
      out[b] = labels[idx[b]];
    }
    return out;
  }

  /** Least squares (smooth) or l1 regression (non-smooth) of Y = W*·X + noise. */
  private static final class Regression implements Problem {
    private final String name;
    private final boolean squared;
    private final DMatrixRMaj x;
    private final DMatrixRMaj y;

    Regression(String name, boolean squared, long seed) {
      Random random = new Random(seed);
      this.name = name;
      this.squared = squared;
      this.x = inputs(random, SAMPLES);
      DMatrixRMaj teacher = Dense.scale(1 / Math.sqrt(DIM), Dense.gaussian(DIM, DIM, random));
      this.y = Dense.combine(1, Dense.mult(teacher, x), 0.1, Dense.gaussian(DIM, SAMPLES, random));
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public boolean smooth() {
      return squared;
    }

    @Override
    public DMatrixRMaj initial() {
      return new DMatrixRMaj(DIM, DIM);
    }

    @Override
    public double loss(DMatrixRMaj w) {
      DMatrixRMaj r = Dense.minus(Dense.mult(w, x), y);
      double s = 0;
      for (int i = 0; i < r.getNumElements(); i++) {
        s += squared ? 0.5 * r.data[i] * r.data[i] : Math.abs(r.data[i]);
      }
      return s / SAMPLES;
    }

    private DMatrixRMaj gradient(DMatrixRMaj w, DMatrixRMaj xs, DMatrixRMaj ys) {
      DMatrixRMaj r = Dense.minus(Dense.mult(w, xs), ys);
      if (!squared) {
        for (int i = 0; i < r.getNumElements(); i++) {
          r.data[i] = Math.signum(r.data[i]);
        }
      }
      return Dense.scale(1.0 / xs.numCols, Dense.multTransB(r, xs));
    }

    @Override
    public DMatrixRMaj fullGradient(DMatrixRMaj w) {
      return gradient(w, x, y);
    }

    @Override
    public DMatrixRMaj stochasticGradient(DMatrixRMaj w, Random random) {
      int[] idx = batch(random);
      return gradient(w, columns(x, idx), columns(y, idx));
    }
  }

  /** Multinomial logistic regression with 64 classes and a small ridge (smooth, convex). */
  private static final class Logistic implements Problem {
    private final DMatrixRMaj x;
    private final int[] labels;

    Logistic(long seed) {
      Random random = new Random(seed);
      this.x = inputs(random, SAMPLES);
      DMatrixRMaj teacher = Dense.scale(3 / Math.sqrt(DIM), Dense.gaussian(DIM, DIM, random));
      DMatrixRMaj scores = Dense.mult(teacher, x);
      this.labels = new int[SAMPLES];
      for (int i = 0; i < SAMPLES; i++) {
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < DIM; c++) {
          // Gumbel noise makes the labels a sample of the teacher's softmax.
          double s = scores.get(c, i) - Math.log(-Math.log(random.nextDouble()));
          if (s > bestScore) {
            bestScore = s;
            best = c;
          }
        }
        labels[i] = best;
      }
    }

    @Override
    public String name() {
      return "logistic regression";
    }

    @Override
    public boolean smooth() {
      return true;
    }

    @Override
    public DMatrixRMaj initial() {
      return new DMatrixRMaj(DIM, DIM);
    }

    private static DMatrixRMaj softmaxColumns(DMatrixRMaj s) {
      DMatrixRMaj p = s.copy();
      for (int i = 0; i < p.numCols; i++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < p.numRows; c++) {
          max = Math.max(max, p.get(c, i));
        }
        double sum = 0;
        for (int c = 0; c < p.numRows; c++) {
          double e = Math.exp(p.get(c, i) - max);
          p.set(c, i, e);
          sum += e;
        }
        for (int c = 0; c < p.numRows; c++) {
          p.set(c, i, p.get(c, i) / sum);
        }
      }
      return p;
    }

    @Override
    public double loss(DMatrixRMaj w) {
      DMatrixRMaj p = softmaxColumns(Dense.mult(w, x));
      double s = 0;
      for (int i = 0; i < SAMPLES; i++) {
        s -= Math.log(Math.max(p.get(labels[i], i), Double.MIN_NORMAL));
      }
      return s / SAMPLES + 0.5 * RIDGE * Dense.dot(w, w);
    }

    private DMatrixRMaj gradient(DMatrixRMaj w, DMatrixRMaj xs, int[] ys) {
      DMatrixRMaj p = softmaxColumns(Dense.mult(w, xs));
      for (int i = 0; i < ys.length; i++) {
        p.add(ys[i], i, -1);
      }
      return Dense.combine(1.0 / xs.numCols, Dense.multTransB(p, xs), RIDGE, w);
    }

    @Override
    public DMatrixRMaj fullGradient(DMatrixRMaj w) {
      return gradient(w, x, labels);
    }

    @Override
    public DMatrixRMaj stochasticGradient(DMatrixRMaj w, Random random) {
      int[] idx = batch(random);
      return gradient(w, columns(x, idx), entries(labels, idx));
    }
  }

  /** Multiclass hinge loss (Crammer–Singer) with a small ridge (non-smooth, convex). */
  private static final class Hinge implements Problem {
    private final DMatrixRMaj x;
    private final int[] labels;

    Hinge(long seed) {
      Random random = new Random(seed);
      this.x = inputs(random, SAMPLES);
      DMatrixRMaj teacher = Dense.scale(3 / Math.sqrt(DIM), Dense.gaussian(DIM, DIM, random));
      DMatrixRMaj scores = Dense.mult(teacher, x);
      this.labels = new int[SAMPLES];
      for (int i = 0; i < SAMPLES; i++) {
        int best = 0;
        for (int c = 1; c < DIM; c++) {
          if (scores.get(c, i) > scores.get(best, i)) {
            best = c;
          }
        }
        // 10 % label noise keeps the data non-separable.
        labels[i] = random.nextDouble() < 0.1 ? random.nextInt(DIM) : best;
      }
    }

    @Override
    public String name() {
      return "hinge loss";
    }

    @Override
    public boolean smooth() {
      return false;
    }

    @Override
    public DMatrixRMaj initial() {
      return new DMatrixRMaj(DIM, DIM);
    }

    /** The most violating class j ≠ y of sample i, or −1 when the margin is met. */
    private static int violator(DMatrixRMaj scores, int i, int label) {
      int worst = -1;
      double worstScore = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < scores.numRows; c++) {
        if (c != label && scores.get(c, i) > worstScore) {
          worstScore = scores.get(c, i);
          worst = c;
        }
      }
      return 1 + worstScore - scores.get(label, i) > 0 ? worst : -1;
    }

    @Override
    public double loss(DMatrixRMaj w) {
      DMatrixRMaj scores = Dense.mult(w, x);
      double s = 0;
      for (int i = 0; i < SAMPLES; i++) {
        int j = violator(scores, i, labels[i]);
        if (j >= 0) {
          s += 1 + scores.get(j, i) - scores.get(labels[i], i);
        }
      }
      return s / SAMPLES + 0.5 * RIDGE * Dense.dot(w, w);
    }

    private DMatrixRMaj gradient(DMatrixRMaj w, DMatrixRMaj xs, int[] ys) {
      DMatrixRMaj scores = Dense.mult(w, xs);
      DMatrixRMaj coef = new DMatrixRMaj(DIM, xs.numCols);
      for (int i = 0; i < ys.length; i++) {
        int j = violator(scores, i, ys[i]);
        if (j >= 0) {
          coef.add(j, i, 1);
          coef.add(ys[i], i, -1);
        }
      }
      return Dense.combine(1.0 / xs.numCols, Dense.multTransB(coef, xs), RIDGE, w);
    }

    @Override
    public DMatrixRMaj fullGradient(DMatrixRMaj w) {
      return gradient(w, x, labels);
    }

    @Override
    public DMatrixRMaj stochasticGradient(DMatrixRMaj w, Random random) {
      int[] idx = batch(random);
      return gradient(w, columns(x, idx), entries(labels, idx));
    }
  }

  /** A two-layer network {@code V·σ(W·x)} with a fixed readout V, σ = tanh or ReLU, squared loss. */
  private static final class Network implements Problem {
    private final String name;
    private final boolean tanh;
    private final DMatrixRMaj x;
    private final DMatrixRMaj y;
    private final DMatrixRMaj readout;
    private final DMatrixRMaj start;

    Network(String name, boolean tanh, long seed) {
      Random random = new Random(seed);
      this.name = name;
      this.tanh = tanh;
      this.x = inputs(random, SAMPLES);
      this.readout = Dense.scale(1 / Math.sqrt(DIM), Dense.gaussian(READOUT, DIM, random));
      DMatrixRMaj teacher = Dense.scale(3 / Math.sqrt(DIM), Dense.gaussian(DIM, DIM, random));
      this.y = Dense.combine(1, Dense.mult(readout, activate(Dense.mult(teacher, x))),
          0.05, Dense.gaussian(READOUT, SAMPLES, random));
      this.start = Dense.scale(1 / Math.sqrt(DIM), Dense.gaussian(DIM, DIM, random));
    }

    private DMatrixRMaj activate(DMatrixRMaj z) {
      DMatrixRMaj h = z.copy();
      for (int i = 0; i < h.getNumElements(); i++) {
        h.data[i] = tanh ? Math.tanh(h.data[i]) : Math.max(0, h.data[i]);
      }
      return h;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public boolean smooth() {
      return tanh;
    }

    @Override
    public DMatrixRMaj initial() {
      return start.copy();
    }

    @Override
    public double loss(DMatrixRMaj w) {
      DMatrixRMaj r = Dense.minus(Dense.mult(readout, activate(Dense.mult(w, x))), y);
      return 0.5 * Dense.dot(r, r) / SAMPLES;
    }

    private DMatrixRMaj gradient(DMatrixRMaj w, DMatrixRMaj xs, DMatrixRMaj ys) {
      DMatrixRMaj z = Dense.mult(w, xs);
      DMatrixRMaj h = activate(z);
      DMatrixRMaj r = Dense.minus(Dense.mult(readout, h), ys);
      DMatrixRMaj back = Dense.multTransA(readout, r);
      for (int i = 0; i < back.getNumElements(); i++) {
        // tanh' = 1 − h²; relu' = 1 on z > 0 (the subgradient 0 at the kink).
        back.data[i] *= tanh ? 1 - h.data[i] * h.data[i] : (z.data[i] > 0 ? 1 : 0);
      }
      return Dense.scale(1.0 / xs.numCols, Dense.multTransB(back, xs));
    }

    @Override
    public DMatrixRMaj fullGradient(DMatrixRMaj w) {
      return gradient(w, x, y);
    }

    @Override
    public DMatrixRMaj stochasticGradient(DMatrixRMaj w, Random random) {
      int[] idx = batch(random);
      return gradient(w, columns(x, idx), columns(y, idx));
    }
  }
}
