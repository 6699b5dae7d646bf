#!/usr/bin/env python3
"""Scripts the TorchScript module behind org.shampoo4j.shampoo.StepKernels.

A Shampoo step issues many small tensor operations per parameter. Through DJL each is a JNI call
that allocates a Java object and, for a scalar operand, a device tensor; on a GPU the host then
cannot keep up with the kernels. This module does the per-parameter work of a step in one call:
view the gradient as a matrix, cut it into blocks, P_b = L_b^ . G_b . R_b^ where a block has its
roots, put the blocks together, graft to the gradient's norm, and return P in the gradient's shape
and type. It repeats the Java path's operations one for one (same operators, same order, same
float32 constants), so results are bit for bit those of ShampooOptimizer's per-operation path.
The roots come in dense (4-bit ones decoded by quant-api's fused kernels).

Run from shampoo-core/ (Debian's python3-torch 1.13 is enough; the saved file loads in DJL's
libtorch 2.7.1):

    /usr/bin/python3 scripts/make_step_module.py

The build never runs this script: the produced .pt file is committed.
"""
import os
import sys
from typing import List

import torch

# Grafting scopes, as StepKernels passes them (the ordinals of org.shampoo4j.shampoo.Grafting).
# TorchScript reads module-level names only as torch.jit.Final constants or literals, so the
# method below spells the values and these names serve the self-check.
GRAFTING_OFF = 0
GRAFTING_PER_TENSOR = 1
GRAFTING_PER_BLOCK = 2


def rescale(direction: torch.Tensor, gradient: torch.Tensor, floor: float) -> torch.Tensor:
    """direction * ||gradient|| / (||direction|| + floor), as Grafting.rescale computes it."""
    g_norm = gradient.square().sum().sqrt()
    p_norm = direction.square().sum().sqrt().add(floor)
    return direction.mul(g_norm.div(p_norm))


class Step(torch.nn.Module):
    """The fused per-parameter direction of a Shampoo step."""

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        # A module needs a forward to be scripted as a whole; it is not used by the Java side.
        return a

    @torch.jit.export
    def direction(self, grad: torch.Tensor, roots: List[torch.Tensor], row_cuts: List[int],
                  col_cuts: List[int], has_root: List[bool], grafting: int,
                  norm_floor: float) -> torch.Tensor:
        """The grafted direction of one parameter, in grad's shape and dtype.

        roots holds, for block k in row-major order, roots[2k] = L_k^ and roots[2k+1] = R_k^
        (float32); a block whose has_root[k] is False passes its gradient through, and its roots
        are not read. row_cuts and col_cuts are the block boundaries of the (rows, cols) view.
        """
        rows = row_cuts[-1]
        cols = col_cuts[-1]
        m = grad.to(torch.float32).reshape([rows, cols])
        row_blocks = len(row_cuts) - 1
        col_blocks = len(col_cuts) - 1
        single = row_blocks * col_blocks == 1
        preconditioned = False
        row_parts: List[torch.Tensor] = []
        k = 0
        for i in range(row_blocks):
            parts: List[torch.Tensor] = []
            for j in range(col_blocks):
                if single:
                    gb = m
                else:
                    gb = m[row_cuts[i]:row_cuts[i + 1], col_cuts[j]:col_cuts[j + 1]]
                if has_root[k]:
                    p = roots[2 * k].matmul(gb).matmul(roots[2 * k + 1])
                    if grafting == 2:  # per block
                        p = rescale(p, gb, norm_floor)
                    preconditioned = True
                else:
                    p = gb
                parts.append(p)
                k += 1
            row_parts.append(parts[0] if len(parts) == 1 else torch.cat(parts, 1))
        p = row_parts[0] if len(row_parts) == 1 else torch.cat(row_parts, 0)
        if preconditioned and grafting == 1:  # per tensor
            p = rescale(p, m, norm_floor)
        return p.reshape(grad.shape).to(grad.dtype)


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "src", "main", "resources", "org", "shampoo4j", "shampoo",
                       "step.pt")
    module = torch.jit.script(Step().eval())
    torch.jit.save(module, out)
    # Self-check before anyone commits the file.
    loaded = torch.jit.load(out)
    g = torch.Generator().manual_seed(0)
    grad = torch.randn(5, 7, generator=g)
    a = torch.randn(3, 3, generator=g)
    b = torch.randn(7, 7, generator=g)
    floor = 1e-12
    # Two row blocks (3 + 2), one column block; the second block has no root yet.
    p = loaded.direction(grad, [a, b, torch.empty(0), torch.empty(0)], [0, 3, 5], [0, 7],
                         [True, False], GRAFTING_PER_TENSOR, floor)
    top = a @ grad[0:3] @ b
    expected = torch.cat([top, grad[3:5]], 0)
    expected = expected * (grad.norm() / (expected.norm() + floor))
    assert torch.allclose(p, expected, atol=1e-5), (p, expected)
    q = loaded.direction(grad, [torch.eye(5), torch.eye(7)], [0, 5], [0, 7], [True],
                         GRAFTING_OFF, floor)
    assert torch.equal(q, grad)
    print("wrote %s (%d bytes) with torch %s" % (os.path.normpath(out), os.path.getsize(out),
                                                  torch.__version__))


if __name__ == "__main__":
    sys.exit(main())
