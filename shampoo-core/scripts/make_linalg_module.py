#!/usr/bin/env python3
"""Scripts the tiny TorchScript module behind org.shampoo4j.linalg.TorchScriptMatrixFunctions.

DJL's NDArray has matmul and inverse but no eigh, QR or Cholesky; libtorch has all three. This
script compiles a parameter-free module whose exported methods call torch.linalg, and saves it as
src/main/resources/org/shampoo4j/linalg/linalg.pt. The module holds no tensors and names no
device, so the Java side loads it onto any device (CPU or CUDA) with map_location.

Run from shampoo-core/ (Debian's python3-torch 1.13 is enough; the saved file loads in DJL's
libtorch 2.7.1):

    /usr/bin/python3 scripts/make_linalg_module.py

The build never runs this script: the produced .pt file is committed.
"""
import math
import os
import sys
from typing import List

import torch


def max_eigenvalue(psd: torch.Tensor, iterations: int, min_normal: float) -> torch.Tensor:
    """The power-iteration estimate of lambda_max of TorchScriptMatrixFunctions, operator for
    operator: iterate on A / max|A_ij| from 1/sqrt(n) . (1,...,1), return v^T (A v) . max|A_ij|
    as a 0-dim tensor. The scalar operands are 0-dim tensors of the types the Java path makes
    (float32, and float64 for 1/sqrt(n)), so that the same kernels run. bank.pt's refreshes use
    this function too."""
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


def max_eigenvalues(psd: torch.Tensor, iterations: int, min_normal: float) -> torch.Tensor:
    """max_eigenvalue of every matrix of a [k, n, n] stack at once, as a [k] tensor: the same
    operators batched (matmul of the stack, reductions over each matrix), a few kernels per
    iteration for all of them; bank.pt runs the blocks of one order this way on accelerators.
    The floats are max_eigenvalue's within float32 rounding, not bit for bit (libtorch's
    batched matmul may round unlike its matrix-vector product)."""
    k = psd.shape[0]
    n = psd.shape[1]
    floor = torch.full([], min_normal, dtype=torch.float32, device=psd.device)
    scale = torch.maximum(psd.abs().amax([1, 2], keepdim=True), floor)
    a = psd.div(scale)
    root_n = torch.full([], math.sqrt(n), dtype=torch.float64, device=psd.device)
    v = torch.ones([k, n, 1], dtype=torch.float32, device=psd.device).div(root_n)
    for _ in range(iterations):
        w = a.matmul(v)
        v = w.div(torch.maximum(w.square().sum([1, 2], keepdim=True).sqrt(), floor))
    return v.mul(a.matmul(v)).sum([1, 2]).mul(scale.reshape(k))


class Linalg(torch.nn.Module):
    """Dense symmetric linear algebra for Shampoo, one exported method per operation."""

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        # A module needs a forward to be scripted as a whole; it is not used by the Java side.
        return a

    @torch.jit.export
    def eigh(self, a: torch.Tensor) -> List[torch.Tensor]:
        """[eigenvalues ascending (n), eigenvectors as columns (n, n)]; reads the lower triangle."""
        values, vectors = torch.linalg.eigh(a, UPLO="L")
        return [values, vectors]

    @torch.jit.export
    def eigh64(self, a: torch.Tensor) -> List[torch.Tensor]:
        """Like eigh, but solved in float64 and returned in a's dtype: small eigenvalues keep
        their relative accuracy (fp32 eigh resolves them only to about eps32 * max|eigenvalue|)."""
        values, vectors = torch.linalg.eigh(a.to(torch.float64), UPLO="L")
        return [values.to(a.dtype), vectors.to(a.dtype)]

    @torch.jit.export
    def qr(self, a: torch.Tensor) -> torch.Tensor:
        """Q of the reduced QR with signs fixed so that diag(R) >= 0 (Q unique for full rank)."""
        q, r = torch.linalg.qr(a, mode="reduced")
        d = torch.diagonal(r)
        # sign(0) = 0 would zero a column of Q; map 0 to +1.
        s = torch.where(d < 0, -torch.ones_like(d), torch.ones_like(d))
        return q * s.unsqueeze(0)

    @torch.jit.export
    def cholesky(self, a: torch.Tensor) -> List[torch.Tensor]:
        """[lower factor L with A = L·Lᵀ, info (int32 scalar, 0 on success, k > 0: minor k not PD)]."""
        lower, info = torch.linalg.cholesky_ex(a, upper=False, check_errors=False)
        return [lower, info]

    @torch.jit.export
    def max_eigenvalue(self, psd: torch.Tensor, iterations: int,
                       min_normal: float) -> torch.Tensor:
        """max_eigenvalue below, in one call instead of a handful of JNI calls per iteration."""
        return max_eigenvalue(psd, iterations, min_normal)


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "src", "main", "resources", "org", "shampoo4j", "linalg",
                       "linalg.pt")
    module = torch.jit.script(Linalg().eval())
    torch.jit.save(module, out)
    # Self-check before anyone commits the file.
    loaded = torch.jit.load(out)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, 8, generator=g)
    spd = x @ x.T + 8 * torch.eye(8)
    w, v = loaded.eigh(spd)
    assert torch.allclose(v @ torch.diag(w) @ v.T, spd, atol=1e-3)
    w64, v64 = loaded.eigh64(spd)
    assert w64.dtype == torch.float32 and torch.allclose(w64, w, atol=1e-3)
    c, info = loaded.cholesky(spd)
    assert int(info) == 0 and torch.allclose(c @ c.T, spd, atol=1e-3)
    q = loaded.qr(x)
    assert torch.allclose(q.T @ q, torch.eye(8), atol=1e-4)
    estimate = loaded.max_eigenvalue(spd, 64, 1.1754943508222875e-38)
    assert abs(float(estimate) - float(torch.linalg.eigvalsh(spd)[-1])) < 1e-2 * float(estimate)
    print("wrote %s (%d bytes) with torch %s" % (os.path.normpath(out), os.path.getsize(out),
                                                  torch.__version__))


if __name__ == "__main__":
    sys.exit(main())
