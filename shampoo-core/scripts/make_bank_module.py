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
import os
import sys
from typing import List

import torch


class Bank(torch.nn.Module):
    """Batched statistic kernels of the preconditioner bank."""

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
    print("wrote %s (%d bytes) with torch %s" % (os.path.normpath(out), os.path.getsize(out),
                                                  torch.__version__))


if __name__ == "__main__":
    sys.exit(main())
