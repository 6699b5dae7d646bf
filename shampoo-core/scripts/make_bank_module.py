#!/usr/bin/env python3
"""Scripts the TorchScript module behind org.shampoo4j.shampoo.bank.BankKernels.

A T1 step updates two statistics per Shampoo block; through DJL every block costs a handful of
JNI calls (slices, transposes, matmuls, the EMA, a finiteness read), so a parameter of 16 blocks
costs 16 times a parameter of one. This module does the statistic work of all blocks of a
parameter in one call per operation kind: the Gram matrices of every block, and the EMA update of
every fp32 statistic with one finiteness flag per statistic (read by the host once). Inside the
module it loops over the blocks with the Java path's operators one for one, so every statistic is
bit for bit the one the per-block path computes.

Run from shampoo-core/ (Debian's python3-torch 1.13 is enough; the saved file loads in DJL's
libtorch 2.7.1):

    /usr/bin/python3 scripts/make_bank_module.py

The build never runs this script: the produced .pt file is committed.
"""
import math
import os
import sys
from typing import List

import torch

# Decoding and encoding are quant-api's, imported from its script so that both modules run the
# same TorchScript code (bit for bit the same codes and floats).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "quant-api", "scripts"))
from make_quantizer_module import Quantizer  # noqa: E402


class Bank(torch.nn.Module):
    """Batched statistic kernels of the preconditioner bank."""

    def __init__(self) -> None:
        super().__init__()
        self.codes = Quantizer()

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        # A module needs a forward to be scripted as a whole; it is not used by the Java side.
        return a

    @torch.jit.export
    def grams(self, grad: torch.Tensor, row_cuts: List[int],
              col_cuts: List[int]) -> List[torch.Tensor]:
        """For block k of grad's (rows, cols) view in row-major order: [2k] = G_k . G_k^T and
        [2k+1] = G_k^T . G_k, float32, as ShampooOptimizer's per-block path computes them."""
        rows = row_cuts[-1]
        cols = col_cuts[-1]
        m = grad.to(torch.float32).reshape([rows, cols])
        single = (len(row_cuts) - 1) * (len(col_cuts) - 1) == 1
        out: List[torch.Tensor] = []
        for i in range(len(row_cuts) - 1):
            for j in range(len(col_cuts) - 1):
                gb = m if single else m[row_cuts[i]:row_cuts[i + 1], col_cuts[j]:col_cuts[j + 1]]
                gt = gb.permute([1, 0])
                out.append(gb.matmul(gt))
                out.append(gt.matmul(gb))
        return out

    @torch.jit.export
    def full_accumulate(self, statistics: List[torch.Tensor], grams: List[torch.Tensor],
                        beta: float, one_minus_beta: float) -> List[torch.Tensor]:
        """[S_i . beta + gram_i . (1 - beta) for every i] followed by one bool tensor whose
        element i says whether the new S_i is finite (its largest magnitude is)."""
        out: List[torch.Tensor] = []
        largest: List[torch.Tensor] = []
        for i in range(len(statistics)):
            g = grams[i].to(torch.float32)
            nxt = statistics[i].mul(beta).add(g.mul(one_minus_beta))
            out.append(nxt)
            largest.append(nxt.abs().max())
        out.append(torch.isfinite(torch.stack(largest, 0)))
        return out

    @torch.jit.export
    def naive_accumulate(self, codes: List[torch.Tensor], scales: List[torch.Tensor],
                         diagonals: List[torch.Tensor], counts: List[int],
                         row_lengths: List[int], values: torch.Tensor, thresholds: torch.Tensor,
                         block_size: int, bits: int, grams: List[torch.Tensor], beta: float,
                         one_minus_beta: float) -> List[torch.Tensor]:
        """S_i <- Q(D(S_i) . beta + gram_i . (1 - beta)) for off-diagonal packed statistics, as
        NaiveQuantizedPreconditioner.accumulate computes it: [codes, scales, diagonal] of every
        new S_i, then one bool tensor whose element i says whether the new S_i was finite before
        quantization."""
        out: List[torch.Tensor] = []
        largest: List[torch.Tensor] = []
        for i in range(len(codes)):
            order = diagonals[i].numel()
            s = self.codes.dequantize(codes[i], values, scales[i], diagonals[i], counts[i],
                                      row_lengths[i], block_size, bits).reshape(order, order)
            nxt = s.mul(beta).add(grams[i].to(torch.float32).mul(one_minus_beta))
            largest.append(nxt.abs().max())
            packed = self.codes.quantize(nxt.reshape(-1).reshape(order, order), thresholds,
                                         row_lengths[i], block_size, bits, True)
            out.append(packed[0])
            out.append(packed[1])
            out.append(packed[2])
        out.append(torch.isfinite(torch.stack(largest, 0)))
        return out

    @torch.jit.export
    def eigen_accumulate(self, codes: List[torch.Tensor], scales: List[torch.Tensor],
                         kept: List[torch.Tensor], counts: List[int], row_lengths: List[int],
                         eigenvalues: List[torch.Tensor], values: torch.Tensor,
                         thresholds: torch.Tensor, block_size: int, bits: int,
                         bjorck_steps: int, grams: List[torch.Tensor], beta: float,
                         one_minus_beta: float) -> List[torch.Tensor]:
        """EigenBjorckPreconditioner.accumulate of many dense-packed eigenvector matrices V_i
        (rows are eigenvectors) with fp32 eigenvalues l_i, operator for operator:
        V = Bjorck^t(D(V_i)), A = (V^T . diag(l_i) . V) . beta + gram_i . (1 - beta),
        Q = qr(A . V^T) with diag(R) >= 0, l' = sum_rows(Q * (A . Q)), V' = Q(Q^T). Returns
        [codes, scales, kept fp32, eigenvalues] of every member, then one bool tensor whose
        element i says whether Q_i and l'_i are finite. A failing QR raises (the caller then
        updates the members one by one)."""
        out: List[torch.Tensor] = []
        largest: List[torch.Tensor] = []
        for i in range(len(codes)):
            order = eigenvalues[i].numel()
            v = self.codes.dequantize(codes[i], values, scales[i], kept[i], counts[i],
                                      row_lengths[i], block_size, bits).reshape(order, order)
            if bjorck_steps > 0:
                current = v.clone()
                for _ in range(bjorck_steps):
                    vvt = current.matmul(current.permute([1, 0]))
                    current = current.mul(1.5).sub(vvt.matmul(current).mul(0.5))
                v = current
            vt = v.permute([1, 0])
            a = vt.mul(eigenvalues[i].unsqueeze(0)).matmul(v).mul(beta).add(
                grams[i].to(torch.float32).mul(one_minus_beta))
            p = a.matmul(vt)
            q, r = torch.linalg.qr(p, mode="reduced")
            d = torch.diagonal(r)
            signs = torch.where(d < 0, -torch.ones_like(d), torch.ones_like(d))
            q = q * signs.unsqueeze(0)
            next_values = q.mul(a.matmul(q)).sum([0])
            largest.append(torch.maximum(q.abs().max(), next_values.abs().max()))
            flat = q.permute([1, 0]).reshape(-1)
            packed = self.codes.quantize(flat, thresholds, row_lengths[i], block_size, bits,
                                         False)
            out.append(packed[0])
            out.append(packed[1])
            out.append(packed[2])
            out.append(next_values)
        out.append(torch.isfinite(torch.stack(largest, 0)))
        return out

    @torch.jit.export
    def eigen_roots(self, codes: List[torch.Tensor], scales: List[torch.Tensor],
                    kept: List[torch.Tensor], counts: List[int], row_lengths: List[int],
                    eigenvalues: List[torch.Tensor], values: torch.Tensor,
                    thresholds: torch.Tensor, block_size: int, bits: int, bjorck_steps: int,
                    root_row_lengths: List[int], epsilon: float, min_normal: float,
                    exponent: float) -> List[torch.Tensor]:
        """EigenBjorckPreconditioner.refreshInverseRoot of many members, operator for operator:
        V = Bjorck^t(D(V_i)), l+ = max(l_i, 0), s = max(l+ + eps . max(l+), MIN_NORMAL)^(-1/p),
        root = V^T . diag(s) . V, stored off-diagonal quantized. Returns [codes, scales,
        diagonal] of every new root, then one bool tensor whose element i says whether root i
        is finite. Scalar operands are 0-dim tensors where the Java path makes them so
        (maximum, pow), so that the same kernels run."""
        out: List[torch.Tensor] = []
        largest: List[torch.Tensor] = []
        for i in range(len(codes)):
            order = eigenvalues[i].numel()
            v = self.codes.dequantize(codes[i], values, scales[i], kept[i], counts[i],
                                      row_lengths[i], block_size, bits).reshape(order, order)
            if bjorck_steps > 0:
                current = v.clone()
                for _ in range(bjorck_steps):
                    vvt = current.matmul(current.permute([1, 0]))
                    current = current.mul(1.5).sub(vvt.matmul(current).mul(0.5))
                v = current
            lam = eigenvalues[i]
            zero = torch.full([], 0.0, dtype=torch.float32, device=lam.device)
            lam = torch.maximum(lam, zero)
            ridge = lam.max().mul(epsilon)
            floor = torch.full([], min_normal, dtype=torch.float32, device=lam.device)
            power = torch.full([], exponent, dtype=torch.float32, device=lam.device)
            scaled = torch.maximum(lam.add(ridge), floor).pow(power)
            root = v.permute([1, 0]).mul(scaled.unsqueeze(0)).matmul(v)
            largest.append(root.abs().max())
            packed = self.codes.quantize(root.reshape(-1).reshape(order, order), thresholds,
                                         root_row_lengths[i], block_size, bits, True)
            out.append(packed[0])
            out.append(packed[1])
            out.append(packed[2])
        out.append(torch.isfinite(torch.stack(largest, 0)))
        return out

    def _max_eigenvalue(self, psd: torch.Tensor, iterations: int,
                        min_normal: float) -> torch.Tensor:
        """TorchScriptMatrixFunctions.maxEigenvalue: linalg.pt's max_eigenvalue, the same code."""
        n = psd.shape[0]
        floor = torch.full([], min_normal, dtype=torch.float32, device=psd.device)
        scale = torch.maximum(psd.abs().max(), floor)
        a = psd.div(scale)
        root_n = torch.full([], math.sqrt(n), dtype=torch.float64, device=psd.device)
        v = torch.ones([n, 1], dtype=torch.float32, device=psd.device).div(root_n)
        for _ in range(iterations):
            w = a.matmul(v)
            v = w.div(torch.maximum(w.square().sum().sqrt(), floor))
        return v.mul(a.matmul(v)).sum().mul(scale)

    def _eigh_root(self, s: torch.Tensor, power_iterations: int, min_normal: float,
                   epsilon: float, relative_floor: float, exponent: float,
                   wide: bool) -> List[torch.Tensor]:
        """(s + eps . lambda_max(s) . I)^(-1/p) as the per-block path computes it (the ridge as
        FullMatrixPreconditioner adds it, then EighInverseRoot), operator for operator. Every
        Number operand of DJL's NDArray is a 0-dim tensor of the Java type (float32 for a float,
        float64 for a double), so the same kernels run here. Returns [root, eigensolver check]:
        the check is EighInverseRoot's finiteness sum of the eigenpairs (non-finite: a float32
        solve the per-block path retries in float64)."""
        dev = s.device
        f32 = torch.float32
        f64 = torch.float64
        order = s.shape[0]
        ridge = self._max_eigenvalue(s, power_iterations, min_normal).mul(
            torch.full([], epsilon, dtype=f32, device=dev))
        ridged = s.add(torch.eye(order, dtype=f32, device=dev).mul(ridge))
        if wide:
            values, vectors = torch.linalg.eigh(ridged.to(f64), UPLO="L")
            values = values.to(f32)
            vectors = vectors.to(f32)
        else:
            values, vectors = torch.linalg.eigh(ridged, UPLO="L")
        check = values.sum().add(vectors.abs().sum())
        floor = values.max().mul(torch.full([], relative_floor, dtype=f64, device=dev)).maximum(
            torch.full([], min_normal, dtype=f32, device=dev))
        scaled = values.maximum(floor).pow(torch.full([], exponent, dtype=f64, device=dev))
        root = vectors.mul(scaled.unsqueeze(0)).matmul(vectors.permute([1, 0]))
        result = root.add(root.permute([1, 0])).mul(torch.full([], 0.5, dtype=f32, device=dev))
        return [result, check]

    @torch.jit.export
    def full_eigh_roots(self, statistics: List[torch.Tensor], power_iterations: int,
                        min_normal: float, epsilon: float, relative_floor: float,
                        exponent: float, wide: bool) -> List[torch.Tensor]:
        """FullMatrixPreconditioner.refreshInverseRoot with the eigh root method for many fp32
        statistics: [root_i for every i], then one bool tensor [2, n]: row 0 whether root i is
        finite, row 1 whether its eigenpairs were (see _eigh_root). A failing eigensolver
        raises (the caller then refreshes the members one by one)."""
        out: List[torch.Tensor] = []
        largest: List[torch.Tensor] = []
        checks: List[torch.Tensor] = []
        for i in range(len(statistics)):
            pair = self._eigh_root(statistics[i], power_iterations, min_normal, epsilon,
                                   relative_floor, exponent, wide)
            out.append(pair[0])
            largest.append(pair[0].abs().max())
            checks.append(pair[1].to(torch.float64))
        out.append(torch.stack([torch.isfinite(torch.stack(largest, 0)),
                                torch.isfinite(torch.stack(checks, 0))], 0))
        return out

    @torch.jit.export
    def naive_eigh_roots(self, codes: List[torch.Tensor], scales: List[torch.Tensor],
                         diagonals: List[torch.Tensor], counts: List[int],
                         row_lengths: List[int], values: torch.Tensor, thresholds: torch.Tensor,
                         block_size: int, bits: int, root_row_lengths: List[int],
                         power_iterations: int, min_normal: float, epsilon: float,
                         relative_floor: float, exponent: float,
                         wide: bool) -> List[torch.Tensor]:
        """NaiveQuantizedPreconditioner.refreshInverseRoot (symmetrised, eigh root method) of
        many off-diagonal packed statistics: S = D(S_i), (S + S^T) . 0.5, the root of
        _eigh_root, stored off-diagonal quantized. Returns [codes, scales, diagonal] of every
        new root, then the [2, n] flags of full_eigh_roots."""
        out: List[torch.Tensor] = []
        largest: List[torch.Tensor] = []
        checks: List[torch.Tensor] = []
        for i in range(len(codes)):
            order = diagonals[i].numel()
            s = self.codes.dequantize(codes[i], values, scales[i], diagonals[i], counts[i],
                                      row_lengths[i], block_size, bits).reshape(order, order)
            s = s.add(s.permute([1, 0])).mul(
                torch.full([], 0.5, dtype=torch.float32, device=s.device))
            pair = self._eigh_root(s, power_iterations, min_normal, epsilon, relative_floor,
                                   exponent, wide)
            root = pair[0]
            largest.append(root.abs().max())
            checks.append(pair[1].to(torch.float64))
            packed = self.codes.quantize(root.reshape(-1).reshape(order, order), thresholds,
                                         root_row_lengths[i], block_size, bits, True)
            out.append(packed[0])
            out.append(packed[1])
            out.append(packed[2])
        out.append(torch.stack([torch.isfinite(torch.stack(largest, 0)),
                                torch.isfinite(torch.stack(checks, 0))], 0))
        return out

    @torch.jit.export
    def dense_eigh_roots(self, statistics: List[torch.Tensor], thresholds: torch.Tensor,
                         block_size: int, bits: int, root_row_lengths: List[int],
                         power_iterations: int, min_normal: float, epsilon: float,
                         relative_floor: float, exponent: float,
                         wide: bool) -> List[torch.Tensor]:
        """The roots of full_eigh_roots stored off-diagonal quantized, as
        CholeskyEfPreconditioner.refreshInverseRoot stores its root (statistics rebuilt from the
        factors by the caller): [codes, scales, diagonal] of every new root, then the [2, n]
        flags of full_eigh_roots."""
        out: List[torch.Tensor] = []
        largest: List[torch.Tensor] = []
        checks: List[torch.Tensor] = []
        for i in range(len(statistics)):
            order = statistics[i].shape[0]
            pair = self._eigh_root(statistics[i], power_iterations, min_normal, epsilon,
                                   relative_floor, exponent, wide)
            root = pair[0]
            largest.append(root.abs().max())
            checks.append(pair[1].to(torch.float64))
            packed = self.codes.quantize(root.reshape(-1).reshape(order, order), thresholds,
                                         root_row_lengths[i], block_size, bits, True)
            out.append(packed[0])
            out.append(packed[1])
            out.append(packed[2])
        out.append(torch.stack([torch.isfinite(torch.stack(largest, 0)),
                                torch.isfinite(torch.stack(checks, 0))], 0))
        return out


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "src", "main", "resources", "org", "shampoo4j", "shampoo",
                       "bank", "bank.pt")
    module = torch.jit.script(Bank().eval())
    torch.jit.save(module, out)
    # Self-check before anyone commits the file.
    loaded = torch.jit.load(out)
    g = torch.Generator().manual_seed(0)
    grad = torch.randn(5, 7, generator=g)
    grams = loaded.grams(grad, [0, 3, 5], [0, 4, 7])
    assert len(grams) == 8
    assert torch.equal(grams[2], grad[0:3, 4:7] @ grad[0:3, 4:7].t())
    assert torch.equal(grams[7], grad[3:5, 4:7].t() @ grad[3:5, 4:7])
    s = [torch.eye(3), torch.full((4, 4), float("nan"))]
    res = loaded.full_accumulate(s, [grams[0], grams[1]], 0.95, 1.0 - 0.95)
    assert torch.equal(res[0], s[0] * 0.95 + grams[0] * (1.0 - 0.95))
    assert res[2].tolist() == [True, False]
    values = torch.linspace(-1, 1, 16)
    thresholds = (values[:-1] + values[1:]) * 0.5
    quant = Quantizer()
    x = torch.eye(6) + 0.1
    packed = quant.quantize(x, thresholds, 6, 4, 4, True)
    gram = torch.randn(6, 6, generator=g)
    res = loaded.naive_accumulate([packed[0]], [packed[1]], [packed[2]], [36], [6], values,
                                  thresholds, 4, 4, [gram], 0.95, 1.0 - 0.95)
    s = quant.dequantize(packed[0], values, packed[1], packed[2], 36, 6, 4, 4).reshape(6, 6)
    expected = quant.quantize(s * 0.95 + gram * (1.0 - 0.95), thresholds, 6, 4, 4, True)
    for a, b in zip(res[:3], expected):
        assert torch.equal(a, b)
    assert res[3].tolist() == [True]
    spd = torch.randn(5, 5, generator=g)
    spd = spd @ spd.t() + torch.eye(5)
    res = loaded.full_eigh_roots([spd], 32,
                                 1.1754943508222875e-38, 1e-6, 1e-7, -0.25, True)
    w, v = torch.linalg.eigh(spd.double())
    ridged = spd.double() + torch.eye(5, dtype=torch.float64) * 1e-6 * w[-1]
    w, v = torch.linalg.eigh(ridged)
    expected = (v * w.pow(-0.25).unsqueeze(0)) @ v.t()
    assert torch.allclose(res[0].double(), expected, rtol=1e-4, atol=1e-5)
    assert res[1].tolist() == [[True], [True]]
    print("wrote %s (%d bytes) with torch %s" % (os.path.normpath(out), os.path.getsize(out),
                                                  torch.__version__))


if __name__ == "__main__":
    sys.exit(main())
