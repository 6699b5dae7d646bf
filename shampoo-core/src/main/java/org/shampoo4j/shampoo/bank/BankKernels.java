package org.shampoo4j.shampoo.bank;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.shampoo4j.linalg.EighPrecision;
import org.shampoo4j.quant.Codebook;
import org.shampoo4j.quant.Layout;
import org.shampoo4j.quant.PackedNDArray;
import org.shampoo4j.quant.QuantizationSpec;
import org.shampoo4j.quant.TorchScriptModules;
import org.shampoo4j.shampoo.base.GateCheck;

/**
 * The statistic and root work of many Shampoo blocks as one call into a TorchScript module each
 * (the classpath resource {@value #MODULE_RESOURCE}, made by {@code
 * shampoo-core/scripts/make_bank_module.py}): the Gram matrices of every block of a parameter, the
 * EMA update of many fp32 or quantized statistics, the Cholesky-factor update of many stored
 * factors, and the inverse-root refreshes (eigh roots of fp32, naive 4-bit and rebuilt Cholesky
 * statistics; eigen-Björck roots), each with its finiteness flags. Blocks are decoded and encoded
 * one by one with the per-block path's operators; the heavy work of a refresh (power iterations,
 * eigendecompositions, QR, Cholesky, Björck, the matrix products) runs either on stacks of the
 * blocks of one order ({@link #stacked()}, the default on a GPU: a few kernels per order instead
 * of a few dozen per block, within float32 and solver rounding of the per-block results) or on
 * each block alone (the default elsewhere: bit for bit the per-block results). Either way the
 * host saves the JNI calls, which limit a step on a GPU.
 *
 * <p>The module holds no tensors and names no device; one instance serves arrays on any device
 * (the stacking is chosen once, from the constructing manager's device). Close it to free the
 * native module.
 */
public final class BankKernels implements AutoCloseable {
  /** Classpath resource (relative to this class) holding the scripted module. */
  static final String MODULE_RESOURCE = "bank.pt";

  private final PtSymbolBlock module;
  private final boolean stacked;
  // Codebook arrays per device, made once: an array made from host memory at every refresh is a
  // host-to-device copy, which on a GPU waits for the device's queue.
  private final NDManager constants;
  private final Map<ConstantKey, NDArray> constantArrays = new HashMap<>();

  private record ConstantKey(Device device, List<Float> values) {}

  /**
   * Loads the module.
   *
   * @param manager a PyTorch-engine manager that owns the loaded module
   * @throws IllegalArgumentException if the manager is not of DJL's PyTorch engine
   * @throws IllegalStateException if the module resource is missing from the classpath
   */
  public BankKernels(NDManager manager) {
    this(manager, manager.getDevice().isGpu());
  }

  /**
   * Loads the module, choosing how refreshes compute.
   *
   * @param manager a PyTorch-engine manager that owns the loaded module
   * @param stacked whether a refresh computes the blocks of one order as one stack (a few
   *     kernels per order: what a GPU needs) or each block alone (bit for bit the per-block
   *     path: libtorch's batched CPU kernels round unlike its one-matrix ones); the one-argument
   *     constructor stacks on a GPU only
   * @throws IllegalArgumentException if the manager is not of DJL's PyTorch engine
   * @throws IllegalStateException if the module resource is missing from the classpath
   */
  public BankKernels(NDManager manager, boolean stacked) {
    if (!(manager instanceof PtNDManager pt)) {
      throw new IllegalArgumentException("the preconditioner bank needs DJL's PyTorch engine, got "
          + manager.getEngine().getEngineName());
    }
    this.module = TorchScriptModules.load(pt, BankKernels.class, MODULE_RESOURCE);
    this.constants = pt.newSubManager();
    this.stacked = stacked;
  }

  /** Whether refreshes compute the blocks of one order as one stack. */
  public boolean stacked() {
    return stacked;
  }

  /**
   * {@code values} as a float32 array on {@code device}, made on first use and kept by these
   * kernels until {@link #close} (callers must not close it).
   */
  public synchronized NDArray constant(float[] values, Device device) {
    List<Float> boxed = new ArrayList<>(values.length);
    for (float v : values) {
      boxed.add(v);
    }
    return constantArrays.computeIfAbsent(new ConstantKey(device, boxed), k -> {
      try (NDManager on = constants.newSubManager(device)) {
        NDArray a = on.create(values);
        a.attach(constants);
        return a;
      }
    });
  }

  /**
   * The Gram matrices of every block of a gradient: for block k of the {@code (rows, cols)} view
   * in row-major order, {@code [2k] = Gk·Gkᵀ} and {@code [2k+1] = Gkᵀ·Gk} (float32), new arrays
   * in {@code grad}'s manager.
   *
   * @param grad the gradient (any floating type, {@code rows·cols} elements)
   * @param rowCuts block boundaries along rows, from 0 to rows
   * @param colCuts block boundaries along columns, from 0 to cols
   */
  public NDArray[] grams(NDArray grad, List<Integer> rowCuts, List<Integer> colCuts) {
    PtNDArray g = (PtNDArray) grad;
    try (IValue gradValue = IValue.from(g);
        IValue rows = IValue.listFrom(longs(rowCuts));
        IValue cols = IValue.listFrom(longs(colCuts));
        IValue result = TorchScriptModules.run(module, "grams", gradValue, rows, cols)) {
      return result.toTensorArray(g.getManager());
    }
  }

  /**
   * {@link #grams} of many gradients in one call: gradient i's Gram matrices follow those of
   * gradient i − 1, new arrays in the first gradient's manager.
   *
   * @param grads the gradients, on one device
   * @param rowCuts per gradient its block boundaries along rows
   * @param colCuts per gradient its block boundaries along columns
   * @throws IllegalArgumentException if the lists differ in length or are empty
   */
  public NDArray[] gramsOfAll(List<NDArray> grads, List<List<Integer>> rowCuts,
      List<List<Integer>> colCuts) {
    if (grads.isEmpty() || grads.size() != rowCuts.size() || grads.size() != colCuts.size()) {
      throw new IllegalArgumentException("need cuts for each of " + grads.size()
          + " gradients, got " + rowCuts.size() + " and " + colCuts.size());
    }
    List<Integer> rows = new ArrayList<>();
    List<Integer> cols = new ArrayList<>();
    List<Integer> rowCounts = new ArrayList<>();
    List<Integer> colCounts = new ArrayList<>();
    for (int i = 0; i < grads.size(); i++) {
      rows.addAll(rowCuts.get(i));
      cols.addAll(colCuts.get(i));
      rowCounts.add(rowCuts.get(i).size());
      colCounts.add(colCuts.get(i).size());
    }
    try (IValue g = IValue.listFrom(pt(grads));
        IValue r = IValue.listFrom(longs(rows));
        IValue rc = IValue.listFrom(longs(rowCounts));
        IValue c = IValue.listFrom(longs(cols));
        IValue cc = IValue.listFrom(longs(colCounts));
        IValue result = TorchScriptModules.run(module, "grams_of_all", g, r, rc, c, cc)) {
      return result.toTensorArray(((PtNDArray) grads.get(0)).getManager());
    }
  }

  /**
   * The EMA {@code S·β + gram·(1−β)} of many fp32 statistics, as new arrays in the first
   * statistic's manager, with per statistic whether the result is finite (one host read for all).
   *
   * @param statistics the current statistics
   * @param grams one Gram matrix per statistic, of its shape
   * @param beta the EMA factor
   * @param check the step's gate check: while pending, its flag travels in the flags' read, and
   *     if it turns out rejected every new array is closed and none is returned
   * @throws IllegalArgumentException if the lists differ in length or are empty
   */
  public Updated accumulateFull(List<NDArray> statistics, List<NDArray> grams, float beta,
      GateCheck check) {
    if (statistics.isEmpty() || statistics.size() != grams.size()) {
      throw new IllegalArgumentException("need one gram per statistic, got "
          + statistics.size() + " statistics and " + grams.size() + " grams");
    }
    PtNDArray first = (PtNDArray) statistics.get(0);
    try (IValue s = IValue.listFrom(pt(statistics));
        IValue g = IValue.listFrom(pt(grams));
        IValue b = IValue.from((double) beta);
        IValue c = IValue.from((double) (1f - beta));
        IValue result = TorchScriptModules.run(module, "full_accumulate", s, g, b, c)) {
      PtNDArray[] out = result.toTensorArray(first.getManager());
      int n = statistics.size();
      return updated(out, n, check);
    }
  }

  /**
   * {@code S ← Q(D(S)·β + gram·(1−β))} for many off-diagonal 4-bit (or other width) statistics
   * of one quantizer, as {@code NaiveQuantizedPreconditioner.accumulate} computes each: per
   * statistic three new arrays (packed codes, scales, diagonal) in the first statistic's manager,
   * and whether the new statistic was finite before quantization (one host read for all).
   *
   * @param statistics the packed statistics, all of layout {@code OFF_DIAGONAL}
   * @param codebookValues the quantizer's codebook values on the statistics' device
   * @param thresholds the codebook's decision thresholds on that device
   * @param grams one Gram matrix per statistic, of its shape
   * @param beta the EMA factor
   * @param check the step's gate check: while pending, its flag travels in the flags' read, and
   *     if it turns out rejected every new array is closed and none is returned
   * @throws IllegalArgumentException if the lists differ in length or are empty
   */
  public Updated accumulateQuantized(List<PackedNDArray> statistics, NDArray codebookValues,
      NDArray thresholds, List<NDArray> grams, float beta, GateCheck check) {
    if (statistics.isEmpty() || statistics.size() != grams.size()) {
      throw new IllegalArgumentException("need one gram per statistic, got "
          + statistics.size() + " statistics and " + grams.size() + " grams");
    }
    int n = statistics.size();
    try (PackedBatch p = PackedBatch.of(statistics, Layout.OFF_DIAGONAL, "statistic");
        IValue values = IValue.from((PtNDArray) codebookValues);
        IValue cuts = IValue.from((PtNDArray) thresholds);
        IValue g = IValue.listFrom(pt(grams));
        IValue b = IValue.from((double) beta);
        IValue rest = IValue.from((double) (1f - beta));
        IValue result = TorchScriptModules.run(module, "naive_accumulate", p.codes(),
            p.scales(), p.fp32(), p.counts(), p.rowLengths(), values, cuts, p.blockSize(),
            p.bits(), g, b, rest)) {
      PtNDArray[] out = result.toTensorArray(p.manager());
      return updated(out, 3 * n, check);
    }
  }

  /**
   * The eigen-Björck statistic update of many members (see {@code
   * EigenBjorckPreconditioner.accumulate}) in one call: per member four new arrays (packed codes,
   * scales and kept fp32 part of the new eigenvector matrix, the new eigenvalues) in the first
   * member's manager, and whether its new eigenvectors and eigenvalues are finite.
   *
   * @param vectors the packed eigenvector matrices, all of layout {@code DENSE}
   * @param eigenvalues the fp32 eigenvalues, one vector per member
   * @param codebookValues the quantizer's codebook values on the members' device
   * @param thresholds the codebook's decision thresholds on that device
   * @param bjorckSteps Björck steps applied to the decoded eigenvectors
   * @param grams one Gram matrix per member
   * @param beta the EMA factor
   * @param check the step's gate check: while pending, its flag travels in the flags' read, and
   *     if it turns out rejected every new array is closed and none is returned
   * @throws ai.djl.engine.EngineException if a QR fails (no member was changed)
   */
  public Updated accumulateEigen(List<PackedNDArray> vectors, List<NDArray> eigenvalues,
      NDArray codebookValues, NDArray thresholds, int bjorckSteps, List<NDArray> grams,
      float beta, GateCheck check) {
    int n = vectors.size();
    if (n == 0 || eigenvalues.size() != n || grams.size() != n) {
      throw new IllegalArgumentException("need one eigenvalue vector and gram per member, got "
          + n + ", " + eigenvalues.size() + " and " + grams.size());
    }
    try (PackedBatch p = PackedBatch.of(vectors, Layout.DENSE, "eigenvectors");
        IValue lambdas = IValue.listFrom(pt(eigenvalues));
        IValue values = IValue.from((PtNDArray) codebookValues);
        IValue cuts = IValue.from((PtNDArray) thresholds);
        IValue steps = IValue.from((long) bjorckSteps);
        IValue g = IValue.listFrom(pt(grams));
        IValue b = IValue.from((double) beta);
        IValue rest = IValue.from((double) (1f - beta));
        IValue st = IValue.from(stacked);
        IValue result = TorchScriptModules.run(module, "eigen_accumulate", p.codes(),
            p.scales(), p.fp32(), p.counts(), p.rowLengths(), lambdas, values, cuts,
            p.blockSize(), p.bits(), steps, g, b, rest, st)) {
      PtNDArray[] out = result.toTensorArray(p.manager());
      return updated(out, 4 * n, check);
    }
  }

  /**
   * The eigen-Björck inverse-root refresh of many members (see {@code
   * EigenBjorckPreconditioner.refreshInverseRoot}) in one call: per member three new arrays
   * (packed codes, scales and fp32 diagonal of the new off-diagonal root) in the first member's
   * manager, and whether the new root is finite.
   *
   * @param vectors the packed eigenvector matrices, all of layout {@code DENSE}
   * @param eigenvalues the fp32 eigenvalues, one vector per member
   * @param roots the members' current packed roots (their layout gives the new roots' blocking)
   * @param codebookValues the quantizer's codebook values on the members' device
   * @param thresholds the codebook's decision thresholds on that device
   * @param bjorckSteps Björck steps applied to the decoded eigenvectors
   * @param epsilon the relative ridge
   * @param rootExponent p of the inverse p-th root
   * @param check the step's gate check: while pending, its flag travels in the flags' read, and
   *     if it turns out rejected every new array is closed and none is returned
   */
  public Updated eigenRoots(List<PackedNDArray> vectors, List<NDArray> eigenvalues,
      List<PackedNDArray> roots, NDArray codebookValues, NDArray thresholds, int bjorckSteps,
      float epsilon, int rootExponent, GateCheck check) {
    int n = vectors.size();
    if (n == 0 || eigenvalues.size() != n || roots.size() != n) {
      throw new IllegalArgumentException("need eigenvalues and a root per member, got " + n
          + ", " + eigenvalues.size() + " and " + roots.size());
    }
    long[] rootRowLengths = new long[n];
    PackedNDArray first = vectors.get(0);
    for (int i = 0; i < n; i++) {
      PackedNDArray p = vectors.get(i);
      PackedNDArray r = roots.get(i);
      if (p.layout() != Layout.DENSE || r.layout() != Layout.OFF_DIAGONAL
          || p.bits() != first.bits() || r.bits() != first.bits()
          || p.blockSize() != first.blockSize() || r.blockSize() != first.blockSize()) {
        throw new IllegalArgumentException("member " + i + " has " + p + " and " + r
            + "; a batch needs dense eigenvectors and off-diagonal roots of one quantizer");
      }
      rootRowLengths[i] = r.grid().rowLength();
    }
    try (PackedBatch p = PackedBatch.of(vectors, Layout.DENSE, "eigenvectors");
        IValue lambdas = IValue.listFrom(pt(eigenvalues));
        IValue values = IValue.from((PtNDArray) codebookValues);
        IValue cuts = IValue.from((PtNDArray) thresholds);
        IValue steps = IValue.from((long) bjorckSteps);
        IValue rootLengths = IValue.listFrom(rootRowLengths);
        IValue eps = IValue.from((double) epsilon);
        IValue floor = IValue.from((double) Float.MIN_NORMAL);
        IValue power = IValue.from((double) (-1f / rootExponent));
        IValue st = IValue.from(stacked);
        IValue result = TorchScriptModules.run(module, "eigen_roots", p.codes(), p.scales(),
            p.fp32(), p.counts(), p.rowLengths(), lambdas, values, cuts, p.blockSize(),
            p.bits(), steps, rootLengths, eps, floor, power, st)) {
      PtNDArray[] out = result.toTensorArray(p.manager());
      return updated(out, 3 * n, check);
    }
  }

  /**
   * The first factorisation attempt of {@code CholeskyEfPreconditioner.accumulate} for many
   * stored factors in one call, operator for operator: {@code C̃ = D(codes) + diag(d)}, {@code L =
   * β·C̃C̃ᵀ + (1−β)·gram}, {@code C = chol(L + r·I)} with {@code r = max(eps·λmax(L),
   * Float.MIN_NORMAL)} (λmax as {@code TorchScriptMatrixFunctions.maxEigenvalue} estimates it),
   * re-encoded in the member's form (with error feedback {@code X = C + E}, codes = Q(X), {@code E
   * ← βe·E + (1−βe)·(X − D(Q(X)))} quantized). Per member five new arrays (diagonal, codes,
   * factor scales, error scales, fp32 strictly-lower entries: a {@link PackedFactor} of its form)
   * in the first factor's manager, and whether it factored to a finite factor (one host read for
   * all). A member that did not is the per-member path's to retry with a growing ridge.
   *
   * @param factors the stored factors (not changed)
   * @param grams one Gram matrix per factor, of its order
   * @param quantization the quantization spec of the factors' codes
   * @param powerIterations power iterations of the λmax estimate
   * @param beta the EMA factor β
   * @param epsilon the relative ridge eps
   * @param betaE the error state's EMA factor βe (used by the error-feedback form only)
   * @param check the step's gate check: while pending, its flag travels in the flags' read, and
   *     if it turns out rejected every new array is closed and none is returned
   * @throws IllegalArgumentException if the lists differ in length or are empty
   */
  public Updated accumulateCholesky(List<PackedFactor> factors, List<NDArray> grams,
      QuantizationSpec quantization, int powerIterations, float beta, float epsilon, float betaE,
      GateCheck check) {
    int n = factors.size();
    if (n == 0 || grams.size() != n) {
      throw new IllegalArgumentException("need one gram per factor, got " + n + " factors and "
          + grams.size() + " grams");
    }
    try (FactorBatch f = FactorBatch.of(factors, quantization, this);
        IValue g = IValue.listFrom(pt(grams));
        IValue b = IValue.from((double) beta);
        IValue rest = IValue.from((double) (1f - beta));
        IValue eps = IValue.from((double) epsilon);
        IValue iterations = IValue.from((long) powerIterations);
        IValue floor = IValue.from((double) Float.MIN_NORMAL);
        IValue errorBeta = IValue.from((double) betaE);
        IValue errorRest = IValue.from((double) (1f - betaE));
        IValue st = IValue.from(stacked);
        IValue result = TorchScriptModules.run(module, "cholesky_accumulate", f.forms(),
            f.diagonals(), f.codes(), f.factorScales(), f.errorScales(), f.fp32(), g,
            f.codebook(), f.levels(), f.blockSize(), f.bits(), b, rest, eps, iterations, floor,
            errorBeta, errorRest, st)) {
      PtNDArray[] out = result.toTensorArray(f.manager());
      return updated(out, 5 * n, check);
    }
  }

  /**
   * {@code FullMatrixPreconditioner.refreshInverseRoot} with the eigh root method for many fp32
   * statistics in one call, operator for operator: per statistic its new root (a new array in
   * the first statistic's manager), with per member whether the root and the eigenpairs are
   * finite (one host read for all).
   *
   * @param statistics the fp32 statistics (not changed)
   * @param spec the root computation
   * @param check the step's gate check: while pending, its flag travels in the flags' read, and
   *     if it turns out rejected every new array is closed and none is returned
   * @throws ai.djl.engine.EngineException if an eigensolve fails (no member was changed)
   * @throws IllegalArgumentException if the list is empty
   */
  public Roots fullEighRoots(List<NDArray> statistics, EighRootSpec spec, GateCheck check) {
    if (statistics.isEmpty()) {
      throw new IllegalArgumentException("need at least one statistic");
    }
    PtNDArray first = (PtNDArray) statistics.get(0);
    try (IValue s = IValue.listFrom(pt(statistics));
        EighArgs e = EighArgs.of(spec);
        IValue st = IValue.from(stacked);
        IValue result = TorchScriptModules.run(module, "full_eigh_roots", s,
            e.iterations(), e.floor(), e.eps(), e.relative(), e.power(), e.wide(), st)) {
      return roots(result.toTensorArray(first.getManager()), statistics.size(), 1, check);
    }
  }

  /**
   * {@code NaiveQuantizedPreconditioner.refreshInverseRoot} (symmetrised statistic, eigh root
   * method) for many off-diagonal quantized statistics in one call: per member three new arrays
   * (packed codes, scales, diagonal of the new off-diagonal root) in the first statistic's
   * manager, with per member whether the root and the eigenpairs are finite.
   *
   * @param statistics the packed statistics, all of layout {@code OFF_DIAGONAL}, one quantizer
   * @param rootRowLengths per member, the row length of its root's quantization grid
   * @param codebookValues the quantizer's codebook values on the statistics' device
   * @param thresholds the codebook's decision thresholds on that device
   * @param spec the root computation
   * @param check the step's gate check: while pending, its flag travels in the flags' read, and
   *     if it turns out rejected every new array is closed and none is returned
   * @throws ai.djl.engine.EngineException if an eigensolve fails (no member was changed)
   */
  public Roots naiveEighRoots(List<PackedNDArray> statistics, long[] rootRowLengths,
      NDArray codebookValues, NDArray thresholds, EighRootSpec spec, GateCheck check) {
    int n = statistics.size();
    if (n == 0 || rootRowLengths.length != n) {
      throw new IllegalArgumentException("need one root row length per statistic, got "
          + n + " statistics and " + rootRowLengths.length + " lengths");
    }
    try (PackedBatch p = PackedBatch.of(statistics, Layout.OFF_DIAGONAL, "statistic");
        IValue values = IValue.from((PtNDArray) codebookValues);
        IValue cuts = IValue.from((PtNDArray) thresholds);
        IValue rootLengths = IValue.listFrom(rootRowLengths);
        EighArgs e = EighArgs.of(spec);
        IValue st = IValue.from(stacked);
        IValue result = TorchScriptModules.run(module, "naive_eigh_roots", p.codes(),
            p.scales(), p.fp32(), p.counts(), p.rowLengths(), values, cuts, p.blockSize(),
            p.bits(), rootLengths, e.iterations(), e.floor(), e.eps(), e.relative(), e.power(),
            e.wide(), st)) {
      return roots(result.toTensorArray(p.manager()), n, 3, check);
    }
  }

  /**
   * The roots of {@link #fullEighRoots} stored off-diagonal quantized (quant-api's {@code
   * quantizeOffDiagonal}), for representations that rebuild fp32 statistics themselves: per member
   * three new arrays (packed codes, scales, diagonal) in the first statistic's manager, with per
   * member whether the root and the eigenpairs are finite.
   *
   * @param statistics the fp32 statistics (not changed)
   * @param rootRowLengths per member, the row length of its root's quantization grid
   * @param thresholds the codebook's decision thresholds on the statistics' device
   * @param blockSize the quantization block size
   * @param bits the code width
   * @param spec the root computation
   * @param check the step's gate check: while pending, its flag travels in the flags' read, and
   *     if it turns out rejected every new array is closed and none is returned
   * @throws ai.djl.engine.EngineException if an eigensolve fails (no member was changed)
   */
  public Roots denseEighRoots(List<NDArray> statistics, long[] rootRowLengths,
      NDArray thresholds, int blockSize, int bits, EighRootSpec spec, GateCheck check) {
    int n = statistics.size();
    if (n == 0 || rootRowLengths.length != n) {
      throw new IllegalArgumentException("need one root row length per statistic, got "
          + n + " statistics and " + rootRowLengths.length + " lengths");
    }
    PtNDArray first = (PtNDArray) statistics.get(0);
    try (IValue s = IValue.listFrom(pt(statistics));
        IValue cuts = IValue.from((PtNDArray) thresholds);
        IValue block = IValue.from((long) blockSize);
        IValue width = IValue.from((long) bits);
        IValue rootLengths = IValue.listFrom(rootRowLengths);
        EighArgs e = EighArgs.of(spec);
        IValue st = IValue.from(stacked);
        IValue result = TorchScriptModules.run(module, "dense_eigh_roots", s, cuts, block,
            width, rootLengths, e.iterations(), e.floor(), e.eps(), e.relative(), e.power(),
            e.wide(), st)) {
      return roots(result.toTensorArray(first.getManager()), n, 3, check);
    }
  }

  /**
   * {@code CholeskyEfPreconditioner.refreshInverseRoot} (eigh root method, root stored
   * off-diagonal quantized) for many stored factors in one call: each statistic {@code C̃·C̃ᵀ}
   * rebuilt from its factor as the member does, then the roots of {@link #denseEighRoots},
   * operator for operator. Per member three new arrays (packed codes, scales, diagonal of the new
   * root) in the first factor's manager, with per member whether the root and the eigenpairs are
   * finite.
   *
   * @param factors the stored factors (not changed)
   * @param rootRowLengths per member, the row length of its root's quantization grid
   * @param quantization the quantization spec of the factors' codes and of the roots
   * @param spec the root computation
   * @param check the step's gate check: while pending, its flag travels in the flags' read, and
   *     if it turns out rejected every new array is closed and none is returned
   * @throws ai.djl.engine.EngineException if an eigensolve fails (no member was changed)
   * @throws IllegalArgumentException if the lists differ in length or are empty
   */
  public Roots choleskyEighRoots(List<PackedFactor> factors, long[] rootRowLengths,
      QuantizationSpec quantization, EighRootSpec spec, GateCheck check) {
    int n = factors.size();
    if (n == 0 || rootRowLengths.length != n) {
      throw new IllegalArgumentException("need one root row length per factor, got " + n
          + " factors and " + rootRowLengths.length + " lengths");
    }
    try (FactorBatch f = FactorBatch.of(factors, quantization, this);
        IValue rootLengths = IValue.listFrom(rootRowLengths);
        EighArgs e = EighArgs.of(spec);
        IValue st = IValue.from(stacked);
        IValue result = TorchScriptModules.run(module, "cholesky_eigh_roots", f.forms(),
            f.diagonals(), f.codes(), f.factorScales(), f.errorScales(), f.fp32(),
            f.codebook(), f.levels(), f.blockSize(), f.bits(), rootLengths, e.iterations(),
            e.floor(), e.eps(), e.relative(), e.power(), e.wide(), st)) {
      return roots(result.toTensorArray(f.manager()), n, 3, check);
    }
  }

  /**
   * Splits an update result: {@code count} arrays, then the flags (read once, with the gate's
   * flag if its check is pending). A rejected gate closes every array and returns none.
   */
  private static Updated updated(PtNDArray[] out, int count, GateCheck check) {
    boolean[] finite = readFlags(out, count, check);
    if (check.isRejected()) {
      return new Updated(List.of(), new boolean[0]);
    }
    return new Updated(List.of(Arrays.copyOf(out, count, NDArray[].class)), finite);
  }

  /**
   * Reads {@code out[count]} (the flags) in one read with the gate's pending flag and closes it;
   * if the gate turns out rejected, also closes {@code out[0..count)}.
   */
  private static boolean[] readFlags(PtNDArray[] out, int count, GateCheck check) {
    NDArray flags = out[count];
    boolean[] read;
    try {
      read = check.readWith(flags);
    } finally {
      flags.close();
    }
    if (check.isRejected()) {
      for (int i = 0; i < count; i++) {
        out[i].close();
      }
    }
    return read;
  }

  /** Splits a roots result: {@code n·perMember} arrays, then the [2, n] flags (read once). */
  private static Roots roots(PtNDArray[] out, int n, int perMember, GateCheck check) {
    boolean[] both = readFlags(out, perMember * n, check);
    if (check.isRejected()) {
      return new Roots(List.of(), new boolean[0], new boolean[0]);
    }
    return new Roots(List.of(Arrays.copyOf(out, perMember * n, NDArray[].class)),
        Arrays.copyOfRange(both, 0, n), Arrays.copyOfRange(both, n, 2 * n));
  }

  /**
   * New inverse roots with, per member, whether the root is finite and whether its eigenpairs
   * were (a non-finite float32 eigensolve is one the per-block path retries in float64).
   *
   * @param arrays the new arrays, a fixed number per member
   * @param finite per member, whether its root is finite
   * @param eigenpairsFinite per member, whether its eigenvalues and eigenvectors were finite
   */
  public record Roots(List<NDArray> arrays, boolean[] finite, boolean[] eigenpairsFinite) {
    /** Copies the flags. */
    public Roots {
      arrays = List.copyOf(arrays);
      finite = finite.clone();
      eigenpairsFinite = eigenpairsFinite.clone();
    }

    /** The root flags (a copy). */
    @Override
    public boolean[] finite() {
      return finite.clone();
    }

    /** The eigenpair flags (a copy). */
    @Override
    public boolean[] eigenpairsFinite() {
      return eigenpairsFinite.clone();
    }
  }

  /** Frees the native module (idempotent). */
  @Override
  public synchronized void close() {
    module.close();
    constantArrays.clear();
    constants.close();
  }

  /**
   * New state arrays and, per array, whether it is finite.
   *
   * @param arrays the new arrays, one per input
   * @param finite per array, whether every element is finite
   */
  public record Updated(List<NDArray> arrays, boolean[] finite) {
    /** Copies the flags. */
    public Updated {
      arrays = List.copyOf(arrays);
      finite = finite.clone();
    }

    /** The flags (a copy). */
    @Override
    public boolean[] finite() {
      return finite.clone();
    }
  }

  /**
   * A non-empty list of packed arrays of one layout, bit width and block size as the module's
   * arguments: per member its codes, scales and fp32 part, element count and grid row length
   * (lists), and the shared block size and bit width. Closing frees the argument values only.
   */
  private record PackedBatch(IValue codes, IValue scales, IValue fp32, IValue counts,
      IValue rowLengths, IValue blockSize, IValue bits, PtNDManager manager)
      implements AutoCloseable {

    /**
     * Checks the members and makes the argument values.
     *
     * @param members the packed arrays, at least one
     * @param layout the layout every member must have
     * @param noun what a member is called in the error message
     * @throws IllegalArgumentException if a member differs from the first in layout, bit width or
     *     block size, or the first is not of {@code layout}
     */
    static PackedBatch of(List<PackedNDArray> members, Layout layout, String noun) {
      int n = members.size();
      PtNDArray[] codes = new PtNDArray[n];
      PtNDArray[] scales = new PtNDArray[n];
      PtNDArray[] fp32 = new PtNDArray[n];
      long[] counts = new long[n];
      long[] rowLengths = new long[n];
      PackedNDArray first = members.get(0);
      for (int i = 0; i < n; i++) {
        PackedNDArray p = members.get(i);
        if (p.layout() != layout || p.bits() != first.bits()
            || p.blockSize() != first.blockSize()) {
          throw new IllegalArgumentException(noun + " " + i + " is " + p + "; a batch needs "
              + layout + " packed arrays of one bit width and block size");
        }
        codes[i] = (PtNDArray) p.codes();
        scales[i] = (PtNDArray) p.scales();
        fp32[i] = (PtNDArray) p.fp32();
        counts[i] = p.elementCount();
        rowLengths[i] = p.grid().rowLength();
      }
      List<IValue> made = new ArrayList<>(7);
      try {
        made.add(IValue.listFrom(codes));
        made.add(IValue.listFrom(scales));
        made.add(IValue.listFrom(fp32));
        made.add(IValue.listFrom(counts));
        made.add(IValue.listFrom(rowLengths));
        made.add(IValue.from((long) first.blockSize()));
        made.add(IValue.from((long) first.bits()));
      } catch (RuntimeException e) {
        made.forEach(IValue::close);
        throw e;
      }
      return new PackedBatch(made.get(0), made.get(1), made.get(2), made.get(3), made.get(4),
          made.get(5), made.get(6), (PtNDManager) first.getManager());
    }

    @Override
    public void close() {
      for (IValue v : List.of(codes, scales, fp32, counts, rowLengths, blockSize, bits)) {
        v.close();
      }
    }
  }

  /**
   * A non-empty list of stored Cholesky factors as the module's arguments: per member its form
   * (the ordinal of {@link PackedFactor.Form}), diagonal, codes, factor and error scales and fp32
   * entries (lists), and the quantization's codebook (its values, then its thresholds, in one
   * array on the factors' device, kept by the kernels: {@link #constant}), number of values,
   * block size and bit width. Closing frees the argument values.
   */
  private record FactorBatch(IValue forms, IValue diagonals, IValue codes,
      IValue factorScales, IValue errorScales, IValue fp32, IValue codebook, IValue levels,
      IValue blockSize, IValue bits, PtNDManager manager) implements AutoCloseable {

    static FactorBatch of(List<PackedFactor> factors, QuantizationSpec quantization,
        BankKernels kernels) {
      int n = factors.size();
      long[] forms = new long[n];
      PtNDArray[][] parts = new PtNDArray[5][n];
      for (int i = 0; i < n; i++) {
        PackedFactor f = factors.get(i);
        forms[i] = f.form().ordinal();
        parts[0][i] = (PtNDArray) f.diagonal();
        parts[1][i] = (PtNDArray) f.codes();
        parts[2][i] = (PtNDArray) f.factorScales();
        parts[3][i] = (PtNDArray) f.errorScales();
        parts[4][i] = (PtNDArray) f.fp32Lower();
      }
      Codebook book = quantization.codebook();
      float[] values = book.values();
      float[] thresholds = book.thresholds();
      float[] table = Arrays.copyOf(values, values.length + thresholds.length);
      System.arraycopy(thresholds, 0, table, values.length, thresholds.length);
      PtNDManager manager = parts[0][0].getManager();
      List<IValue> made = new ArrayList<>(10);
      try {
        made.add(IValue.listFrom(forms));
        for (PtNDArray[] part : parts) {
          made.add(IValue.listFrom(part));
        }
        made.add(IValue.from((PtNDArray) kernels.constant(table, manager.getDevice())));
        made.add(IValue.from((long) values.length));
        made.add(IValue.from((long) quantization.blockSize()));
        made.add(IValue.from((long) book.bits()));
      } catch (RuntimeException e) {
        made.forEach(IValue::close);
        throw e;
      }
      return new FactorBatch(made.get(0), made.get(1), made.get(2), made.get(3),
          made.get(4), made.get(5), made.get(6), made.get(7), made.get(8), made.get(9), manager);
    }

    @Override
    public void close() {
      for (IValue v : List.of(forms, diagonals, codes, factorScales, errorScales, fp32,
          codebook, levels, blockSize, bits)) {
        v.close();
      }
    }
  }

  /**
   * The eigh root computation's arguments of the module, in its order: power iterations, the
   * float32 floor, epsilon, relative floor, the exponent {@code -1/p} and whether to solve in
   * float64. Closing frees the argument values.
   */
  private record EighArgs(IValue iterations, IValue floor, IValue eps, IValue relative,
      IValue power, IValue wide) implements AutoCloseable {

    static EighArgs of(EighRootSpec spec) {
      List<IValue> made = new ArrayList<>(6);
      try {
        made.add(IValue.from((long) spec.powerIterations()));
        made.add(IValue.from((double) Float.MIN_NORMAL));
        made.add(IValue.from((double) spec.epsilon()));
        made.add(IValue.from(spec.relativeFloor()));
        made.add(IValue.from(-1.0 / spec.rootExponent()));
        made.add(IValue.from(spec.precision() == EighPrecision.FLOAT64));
      } catch (RuntimeException e) {
        made.forEach(IValue::close);
        throw e;
      }
      return new EighArgs(made.get(0), made.get(1), made.get(2), made.get(3), made.get(4),
          made.get(5));
    }

    @Override
    public void close() {
      for (IValue v : List.of(iterations, floor, eps, relative, power, wide)) {
        v.close();
      }
    }
  }

  private static PtNDArray[] pt(List<NDArray> arrays) {
    PtNDArray[] out = new PtNDArray[arrays.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (PtNDArray) arrays.get(i);
    }
    return out;
  }

  private static long[] longs(List<Integer> values) {
    long[] out = new long[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
