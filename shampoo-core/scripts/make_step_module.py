#!/usr/bin/env python3
"""Scripts the TorchScript module behind org.shampoo4j.shampoo.StepKernels.

A Shampoo step issues many small tensor operations per parameter. Through DJL each is a JNI call
that allocates a Java object and, for a scalar operand, a device tensor; on a GPU the host then
cannot keep up with the kernels. This module does the per-parameter work of a step in one call:
view the gradient as a matrix, cut it into blocks, P_b = L_b^ . G_b . R_b^ where a block has its
roots, put the blocks together, graft to the gradient's norm, and return P in the gradient's shape
and type. It repeats the Java path's operations one for one (same operators, same order, same
float32 constants), so results are bit for bit those of ShampooOptimizer's per-operation path.
The roots come as stored (4-bit ones decoded here with quant-api's decode arithmetic).

directions() does the same for all preconditioned parameters of a training step in one call:
blocks of one shape from every parameter are stacked, their roots decoded as one batch and
multiplied with two batched matmuls, and per-tensor grafting adds per-block squared norms. That
turns a dozen kernels per block into a dozen per block shape; the price is rounding: the batched
matmul and the blockwise norm sums are not bit for bit the per-parameter path's.

Run from shampoo-core/ (Debian's python3-torch 1.13 is enough; the saved file loads in DJL's
libtorch 2.7.1):

    /usr/bin/python3 scripts/make_step_module.py

The build never runs this script: the produced .pt file is committed.
"""
import os
import sys
from typing import List, Tuple

import torch

# The decode of one packed root is quant-api's, imported from its script so that both modules
# run the same TorchScript code (bit for bit the same floats).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "quant-api", "scripts"))
from make_quantizer_module import Quantizer  # noqa: E402
# The base step's reading of a weight's own gradient, so that both modules treat it alike.
from make_base_step_module import own_grads  # noqa: E402

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


# Root kinds, as StepKernels passes them: a dense float32 root, or a packed one (codes, scales,
# and a kept diagonal, empty if none), or a packed root held in fp32 (below the quantizer's
# minimum size: its fp32 part is the whole flat matrix).
ROOT_DENSE = 0
ROOT_PACKED = 1
ROOT_FP32 = 2


def _decode_stack(codes: torch.Tensor, table: torch.Tensor, scales: torch.Tensor,
                  diagonal: torch.Tensor, k: int, order: int, count: int, row_length: int,
                  block_size: int) -> torch.Tensor:
    """[k, order, order] float32 from k stacked 4-bit roots of one order: the byte-table lookup,
    the block scaling and the diagonal overwrite of Quantizer.dequantize, each one batched
    operation over the k roots (same element-wise arithmetic, so the same floats)."""
    flat = table.index_select(0, codes.reshape(-1).to(torch.int32)).reshape(k, -1)[:, :count]
    rows = count // row_length
    width = min(block_size, row_length)
    per_row = (row_length + width - 1) // width
    matrix = flat.reshape(k, rows, row_length)
    pad = per_row * width - row_length
    if pad > 0:
        matrix = torch.nn.functional.pad(matrix, [0, pad])
    scaled = matrix.reshape(k, rows * per_row, width) * scales.reshape(k, rows * per_row, 1)
    out = scaled.reshape(k, rows, per_row * width)
    if pad > 0:
        out = out[:, :, :row_length]
    out = out.reshape(k, order, order).contiguous()
    if diagonal.numel() > 0:
        out.diagonal(0, 1, 2).copy_(diagonal)
    return out


def _byte_table(values: torch.Tensor) -> torch.Tensor:
    """[256, 2]: entry b holds (values[b & 15], values[b >> 4]), the decode of one code byte."""
    return torch.stack([values.repeat(16), values.repeat_interleave(16)], 1)


def _stack(parts: List[torch.Tensor]) -> torch.Tensor:
    """torch.stack(parts), without a copy for a single part (a view with a leading 1)."""
    if len(parts) == 1:
        return parts[0].unsqueeze(0)
    return torch.stack(parts, 0)


class Step(torch.nn.Module):
    """The fused per-parameter direction of a Shampoo step."""

    def __init__(self) -> None:
        super().__init__()
        self.codes = Quantizer()

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

    def _roots(self, index: List[int], order: int, kinds: List[int], dense: List[torch.Tensor],
               codes: List[torch.Tensor], scales: List[torch.Tensor],
               diagonals: List[torch.Tensor], counts: List[int], row_lengths: List[int],
               values: torch.Tensor, table: torch.Tensor, block_size: int,
               bits: int) -> torch.Tensor:
        """The roots at the given indices (all of one order) as one [k, n, n] float32 stack:
        4-bit packed roots of one layout decoded in one batched pass (table: _byte_table of
        values), anything else one by one."""
        first = index[0]
        batched = bits == 4
        for i in index:
            if kinds[i] != 1 or row_lengths[i] != row_lengths[first] or counts[i] != counts[first]:
                batched = False
            elif (diagonals[i].numel() > 0) != (diagonals[first].numel() > 0):
                batched = False
        if batched:
            k = len(index)
            count = counts[first]
            code_stack = _stack([codes[i] for i in index])
            scale_stack = _stack([scales[i] for i in index])
            diag_stack = _stack([diagonals[i] for i in index])
            return _decode_stack(code_stack, table, scale_stack, diag_stack, k, order, count,
                                 row_lengths[first], block_size)
        parts: List[torch.Tensor] = []
        for i in index:
            if kinds[i] == 0:
                parts.append(dense[i])
            elif kinds[i] == 2:
                parts.append(diagonals[i].reshape(order, order))
            else:
                flat = self.codes.dequantize(codes[i], values, scales[i], diagonals[i], counts[i],
                                             row_lengths[i], block_size, bits)
                parts.append(flat.reshape(order, order))
        return _stack(parts)

    def _decode_aligned(self, class_offsets: List[int], class_members: List[int],
                        class_rooted: List[bool], blocks: List[int], kinds: List[int],
                        codes: List[torch.Tensor], scales: List[torch.Tensor],
                        diagonals: List[torch.Tensor], counts: List[int],
                        row_lengths: List[int], table: torch.Tensor, block_size: int,
                        bits: int) -> Tuple[List[torch.Tensor], List[bool]]:
        """The roots of every class side (index 2c for the left roots of class c, 2c + 1 for
        the right) whose members are all 4-bit packed roots of an order that is a multiple of
        the block size, decoded together: one byte lookup and one scaling for all of them
        (their flat blocks are then whole rows' blocks, so the scales line up without padding),
        then each side's [k, n, n] view gets its kept diagonal. The same element-wise
        arithmetic as _decode_stack, so the same floats. Other sides: False, a placeholder."""
        sides = 2 * len(class_rooted)
        ok: List[bool] = [False for _ in range(sides)]
        out: List[torch.Tensor] = [table for _ in range(sides)]
        if bits != 4:
            return out, ok
        sel_codes: List[torch.Tensor] = []
        sel_scales: List[torch.Tensor] = []
        sizes: List[int] = []
        orders: List[int] = [0 for _ in range(sides)]
        for c in range(len(class_rooted)):
            if not class_rooted[c]:
                continue
            members = class_members[class_offsets[c]:class_offsets[c + 1]]
            first = members[0]
            for side in range(2):
                order = blocks[5 * first + 2 + 2 * side] - blocks[5 * first + 1 + 2 * side]
                fits = order % block_size == 0
                kept = diagonals[2 * first + side].numel() > 0
                for b in members:
                    i = 2 * b + side
                    if (kinds[i] != 1 or row_lengths[i] != order or counts[i] != order * order
                            or codes[i].numel() * 2 != counts[i]
                            or scales[i].numel() * block_size != counts[i]
                            or (diagonals[i].numel() > 0) != kept):
                        fits = False
                if fits:
                    ok[2 * c + side] = True
                    orders[2 * c + side] = order
                    for b in members:
                        sel_codes.append(codes[2 * b + side].reshape(-1))
                        sel_scales.append(scales[2 * b + side].reshape(-1))
                    sizes.append(len(members) * order * order)
        if len(sizes) == 0:
            return out, ok
        flat = table.index_select(0, torch.cat(sel_codes).to(torch.int32)).reshape(
            [-1, block_size])
        flat.mul_(torch.cat(sel_scales).reshape([-1, 1]))
        parts = flat.reshape(-1).split(sizes)
        j = 0
        for c in range(len(class_rooted)):
            for side in range(2):
                if not ok[2 * c + side]:
                    continue
                members = class_members[class_offsets[c]:class_offsets[c + 1]]
                order = orders[2 * c + side]
                stack = parts[j].view([len(members), order, order])
                if diagonals[2 * members[0] + side].numel() > 0:
                    stack.diagonal(0, 1, 2).copy_(
                        _stack([diagonals[2 * b + side] for b in members]).reshape(
                            [len(members), order]))
                out[2 * c + side] = stack
                j += 1
        return out, ok

    @torch.jit.export
    def banked_direction(self, grad: torch.Tensor, row_cuts: List[int], col_cuts: List[int],
                         has_root: List[bool], grafting: int, norm_floor: float,
                         kinds: List[int], dense: List[torch.Tensor], codes: List[torch.Tensor],
                         scales: List[torch.Tensor], diagonals: List[torch.Tensor],
                         counts: List[int], row_lengths: List[int], values: torch.Tensor,
                         block_size: int, bits: int) -> torch.Tensor:
        """direction() with the blocks grouped by shape: per class of equal (rows, cols), the
        roots are decoded as one [k, n, n] stack (4-bit roots in one batched decode), then
        P_b = L^_b . G_b . R^_b per block.

        Root r (r = 2*block for L^, 2*block + 1 for R^) is dense[r] if kinds[r] == 0; packed
        (codes[r], scales[r], kept diagonal diagonals[r], counts[r] elements, row_lengths[r]) if
        1; the fp32 flat matrix diagonals[r] if 2. values is the codebook of the packed roots.
        Unused slots hold any tensor."""
        rows = row_cuts[-1]
        cols = col_cuts[-1]
        m = grad.to(torch.float32).reshape([rows, cols])
        col_blocks = len(col_cuts) - 1
        blocks = (len(row_cuts) - 1) * col_blocks
        single = blocks == 1
        # Classes of blocks of one shape, in order of first appearance.
        shapes: List[List[int]] = []
        members: List[List[int]] = []
        for b in range(blocks):
            i = b // col_blocks
            j = b % col_blocks
            shape = [row_cuts[i + 1] - row_cuts[i], col_cuts[j + 1] - col_cuts[j]]
            found = -1
            for c in range(len(shapes)):
                if shapes[c] == shape:
                    found = c
            if found < 0:
                shapes.append(shape)
                members.append([b])
            else:
                members[found].append(b)
        preconditioned = False
        for flag in has_root:
            preconditioned = preconditioned or flag
        if not preconditioned:
            return grad
        out = m if single else torch.empty_like(m)
        table = _byte_table(values) if bits == 4 and 1 in kinds else values
        for c in range(len(shapes)):
            index = members[c]
            with_root: List[int] = []
            for b in index:
                if has_root[b]:
                    with_root.append(b)
            for b in index:
                if not has_root[b]:
                    i = b // col_blocks
                    j = b % col_blocks
                    out[row_cuts[i]:row_cuts[i + 1], col_cuts[j]:col_cuts[j + 1]] = \
                        m[row_cuts[i]:row_cuts[i + 1], col_cuts[j]:col_cuts[j + 1]]
            if len(with_root) == 0:
                continue
            parts: List[torch.Tensor] = []
            for b in with_root:
                i = b // col_blocks
                j = b % col_blocks
                parts.append(m if single
                             else m[row_cuts[i]:row_cuts[i + 1], col_cuts[j]:col_cuts[j + 1]])
            left = self._roots([2 * b for b in with_root], shapes[c][0], kinds, dense, codes,
                               scales, diagonals, counts, row_lengths, values, table, block_size,
                               bits)
            right = self._roots([2 * b + 1 for b in with_root], shapes[c][1], kinds, dense,
                                codes, scales, diagonals, counts, row_lengths, values, table,
                                block_size, bits)
            for t in range(len(with_root)):
                b = with_root[t]
                # One matmul per block: libtorch 2.7.1's batched matmul rounds differently from
                # its matmul on small blocks, and the per-block path is the reference.
                pb = left[t].matmul(parts[t]).matmul(right[t])
                if grafting == 2:  # per block
                    pb = rescale(pb, parts[t], norm_floor)
                if single:
                    out = pb
                else:
                    i = b // col_blocks
                    j = b % col_blocks
                    out[row_cuts[i]:row_cuts[i + 1], col_cuts[j]:col_cuts[j + 1]] = pb
        if grafting == 1:  # per tensor
            out = rescale(out, m, norm_floor)
        return out.reshape(grad.shape).to(grad.dtype)

    @torch.jit.export
    def directions(self, grads: List[torch.Tensor], own: bool, dims: List[int],
                   blocks: List[int],
                   class_offsets: List[int], class_members: List[int], class_rooted: List[bool],
                   grafting: int, norm_floor: float, member_params: List[torch.Tensor],
                   param_blocks: torch.Tensor, max_blocks: int, kinds: List[int],
                   dense: List[torch.Tensor], codes: List[torch.Tensor],
                   scales: List[torch.Tensor], diagonals: List[torch.Tensor], counts: List[int],
                   row_lengths: List[int], values: torch.Tensor, block_size: int,
                   bits: int) -> List[torch.Tensor]:
        """The grafted directions of several parameters at once, each in its gradient's shape
        and dtype: the blocks of all parameters grouped into classes of one shape, each class's
        roots decoded as one [k, n, n] stack and P = L^ . G . R^ as two batched matmuls, the
        grafting norms of all parameters from per-block sums.

        With own, grads holds the weights and each one's own gradient is used (the caller need
        not take a handle on each). Parameter p's gradient grads[p] is viewed as a dims[2p] x dims[2p+1] matrix. Block b is
        blocks[5b : 5b+5] = (parameter, row start, row end, column start, column end). Class c
        holds the blocks class_members[class_offsets[c] : class_offsets[c+1]], all of one shape,
        all with roots (class_rooted[c]) or all without (passed through). Roots as in
        banked_direction, indexed 2b (L^) and 2b+1 (R^) by block. For per-tensor grafting,
        member_params[c] holds each member's parameter (int64, the grads index) and param_blocks
        ([P * max_blocks] int64) the positions of every parameter's blocks in the classes' member
        order, padded with the position one past the last block (a zero); both live on the
        gradients' device, so no host array is copied in. Every parameter must have a root in at
        least one block (one without is its own direction: the caller passes it through).

        Not bit for bit banked_direction: the batched matmul and the per-block norm sums round
        differently; the difference is within float32 matmul and summation error."""
        if own:
            grads = own_grads(grads)
        mats: List[torch.Tensor] = []
        for p in range(len(grads)):
            mats.append(grads[p].to(torch.float32).reshape([dims[2 * p], dims[2 * p + 1]]))
        table = _byte_table(values) if bits == 4 and 1 in kinds else values
        pre, pre_ok = self._decode_aligned(class_offsets, class_members, class_rooted, blocks,
                                           kinds, codes, scales, diagonals, counts, row_lengths,
                                           table, block_size, bits)
        stacks: List[torch.Tensor] = []
        g_sums: List[torch.Tensor] = []
        p_sums: List[torch.Tensor] = []
        for c in range(len(class_rooted)):
            members = class_members[class_offsets[c]:class_offsets[c + 1]]
            parts: List[torch.Tensor] = []
            for b in members:
                m = mats[blocks[5 * b]]
                r0 = blocks[5 * b + 1]
                r1 = blocks[5 * b + 2]
                c0 = blocks[5 * b + 3]
                c1 = blocks[5 * b + 4]
                if r0 == 0 and c0 == 0 and r1 == m.shape[0] and c1 == m.shape[1]:
                    parts.append(m)
                else:
                    parts.append(m[r0:r1, c0:c1])
            g = _stack(parts)
            k = len(members)
            if class_rooted[c]:
                if pre_ok[2 * c]:
                    left = pre[2 * c]
                else:
                    left = self._roots([2 * b for b in members], g.shape[1], kinds, dense, codes,
                                       scales, diagonals, counts, row_lengths, values, table,
                                       block_size, bits)
                if pre_ok[2 * c + 1]:
                    right = pre[2 * c + 1]
                else:
                    right = self._roots([2 * b + 1 for b in members], g.shape[2], kinds, dense,
                                        codes, scales, diagonals, counts, row_lengths, values,
                                        table, block_size, bits)
                d = torch.bmm(torch.bmm(left, g), right)
                if grafting == 2:  # per block
                    g_norm = g.square().sum([1, 2]).sqrt()
                    p_norm = d.square().sum([1, 2]).sqrt().add(norm_floor)
                    d = d.mul(g_norm.div(p_norm).reshape([k, 1, 1]))
            else:
                d = g
            if grafting == 1:  # per tensor: the squared norms of every block
                g_sums.append(g.square().sum([1, 2]))
                p_sums.append(d.square().sum([1, 2]))
            stacks.append(d)
        if grafting == 1:
            zero = torch.zeros([1], dtype=torch.float32, device=param_blocks.device)
            g_sums.append(zero)
            p_sums.append(zero)
            count = len(grads)
            g_total = torch.cat(g_sums).index_select(0, param_blocks).reshape(
                [count, max_blocks]).sum(1)
            p_total = torch.cat(p_sums).index_select(0, param_blocks).reshape(
                [count, max_blocks]).sum(1)
            ratio = g_total.sqrt().div(p_total.sqrt().add(norm_floor))
            for c in range(len(stacks)):
                k = stacks[c].shape[0]
                stacks[c] = stacks[c].mul(
                    ratio.index_select(0, member_params[c]).reshape([k, 1, 1]))
        # Back into each parameter's shape: a parameter of one block is its member of the stack.
        block_count: List[int] = [0 for _ in range(len(grads))]
        for b in range(len(blocks) // 5):
            block_count[blocks[5 * b]] += 1
        outs: List[torch.Tensor] = [m for m in mats]
        made: List[bool] = [False for _ in range(len(grads))]
        for c in range(len(stacks)):
            members = class_members[class_offsets[c]:class_offsets[c + 1]]
            for t in range(len(members)):
                b = members[t]
                p = blocks[5 * b]
                if block_count[p] == 1:
                    outs[p] = stacks[c][t]
                else:
                    if not made[p]:
                        outs[p] = torch.empty_like(mats[p])
                        made[p] = True
                    outs[p][blocks[5 * b + 1]:blocks[5 * b + 2],
                            blocks[5 * b + 3]:blocks[5 * b + 4]] = stacks[c][t]
        result: List[torch.Tensor] = []
        for p in range(len(grads)):
            result.append(outs[p].reshape(grads[p].shape).to(grads[p].dtype))
        return result


def check_directions(loaded: torch.jit.ScriptModule, quant: Quantizer, values: torch.Tensor,
                     thresholds: torch.Tensor, g: torch.Generator, floor: float) -> None:
    """directions() of three parameters at once against banked_direction() of each: classes
    shared across parameters, a block without roots, a dense root among packed ones."""
    layouts = [([0, 3, 6, 7], [0, 3, 5], [True, True, True, True, False, True]),
               ([0, 3], [0, 3], [True]),
               ([0, 3, 6], [0, 2], [True, True])]
    grads = [torch.randn(cuts[0][-1], cuts[1][-1], generator=g) for cuts in layouts]
    per_param = []
    kinds, dense, codes, scales, diags, counts, lengths = [], [], [], [], [], [], []
    blocks, dims = [], []
    for p, (rows, cols, flags) in enumerate(layouts):
        dims += [rows[-1], cols[-1]]
        own = ([], [], [], [], [], [], [])
        for b in range(len(flags)):
            i, j = b // (len(cols) - 1), b % (len(cols) - 1)
            blocks += [p, rows[i], rows[i + 1], cols[j], cols[j + 1]]
            for n in (rows[i + 1] - rows[i], cols[j + 1] - cols[j]):
                x = torch.randn(n, n, generator=g)
                x = x + x.t()
                if p == 2 and b == 1:  # a dense root
                    entry = (ROOT_DENSE, x, x, x, x, 0, 0)
                else:
                    packed, sc, dg = quant.quantize(x, thresholds, n, 2, 4, True)
                    entry = (ROOT_PACKED, x, packed, sc, dg, n * n, n)
                for lst, v in zip(own, entry):
                    lst.append(v)
        per_param.append(own)
        for lst, v in zip((kinds, dense, codes, scales, diags, counts, lengths), own):
            lst += v
    flags = [f for layout in layouts for f in layout[2]]
    shapes, members, rooted = [], [], []
    for b in range(len(blocks) // 5):
        key = (blocks[5 * b + 2] - blocks[5 * b + 1], blocks[5 * b + 4] - blocks[5 * b + 3],
               flags[b])
        if key not in shapes:
            shapes.append(key)
            members.append([])
        members[shapes.index(key)].append(b)
    offsets = [0]
    for m in members:
        offsets.append(offsets[-1] + len(m))
    flat = [b for m in members for b in m]
    order = {b: i for i, b in enumerate(flat)}
    max_blocks = max(len(layout[2]) for layout in layouts)
    param_blocks = []
    for p in range(len(layouts)):
        own = [order[b] for b in range(len(blocks) // 5) if blocks[5 * b] == p]
        param_blocks += own + [len(flat)] * (max_blocks - len(own))
    member_params = [torch.tensor([blocks[5 * b] for b in m]) for m in members]
    # The sides decoded together equal the per-class decode bit for bit (block size 2: the
    # order-2 sides are aligned, the order-3 ones are not).
    table = torch.stack([values.repeat(16), values.repeat_interleave(16)], 1)
    pre, pre_ok = loaded._decode_aligned(offsets, flat, [s[2] for s in shapes], blocks, kinds,
                                         codes, scales, diags, counts, lengths, table, 2, 4)
    assert any(pre_ok) and not all(pre_ok), pre_ok
    for side_index, fits in enumerate(pre_ok):
        if fits:
            c, side = side_index // 2, side_index % 2
            index = [2 * b + side for b in flat[offsets[c]:offsets[c + 1]]]
            one_by_one = loaded._roots(index, pre[side_index].shape[1], kinds, dense, codes,
                                       scales, diags, counts, lengths, values, table, 2, 4)
            assert torch.equal(pre[side_index], one_by_one), side_index
    for scope in (GRAFTING_OFF, GRAFTING_PER_TENSOR, GRAFTING_PER_BLOCK):
        args = (dims, blocks, offsets, flat, [s[2] for s in shapes], scope, floor, member_params,
                torch.tensor(param_blocks), max_blocks, kinds, dense, codes, scales, diags, counts,
                lengths, values, 2, 4)
        out = loaded.directions(grads, False, *args)
        weights = [torch.zeros_like(gr).requires_grad_() for gr in grads]
        for w, gr in zip(weights, grads):
            w.grad = gr.clone()
        from_own = loaded.directions(weights, True, *args)
        assert all(torch.equal(a, b) for a, b in zip(out, from_own)), scope
        for p, (rows, cols, own_flags) in enumerate(layouts):
            k, d, c, sc, dg, n, ln = per_param[p]
            reference = loaded.banked_direction(grads[p], rows, cols, own_flags, scope, floor, k,
                                                d, c, sc, dg, n, ln, values, 2, 4)
            assert torch.allclose(out[p], reference, rtol=1e-5, atol=1e-5), \
                (scope, p, (out[p] - reference).abs().max())


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
    # The banked direction against direction() with decoded roots: 3 x 2 blocks of a 7 x 5
    # gradient (classes 3x3, 3x2, 1x3, 1x2), block 4 without roots, 4-bit row-blocked roots.
    quant = Quantizer()
    values = torch.linspace(-1, 1, 16)
    thresholds = (values[:-1] + values[1:]) * 0.5
    grad = torch.randn(7, 5, generator=g)
    row_cuts, col_cuts = [0, 3, 6, 7], [0, 3, 5]
    flags = [True, True, True, True, False, True]
    kinds, dense, codes, scales, diags, counts, lengths, decoded = [], [], [], [], [], [], [], []
    for b in range(6):
        for n in (row_cuts[b // 2 + 1] - row_cuts[b // 2], col_cuts[b % 2 + 1] - col_cuts[b % 2]):
            x = torch.randn(n, n, generator=g)
            x = x + x.t()
            packed, sc, dg = quant.quantize(x, thresholds, n, 2, 4, True)
            kinds.append(ROOT_PACKED)
            dense.append(grad)
            codes.append(packed)
            scales.append(sc)
            diags.append(dg)
            counts.append(n * n)
            lengths.append(n)
            decoded.append(quant.dequantize(packed, values, sc, dg, n * n, n, 2, 4).reshape(n, n))
    for scope in (GRAFTING_OFF, GRAFTING_PER_TENSOR, GRAFTING_PER_BLOCK):
        banked = loaded.banked_direction(grad, row_cuts, col_cuts, flags, scope, floor, kinds,
                                         dense, codes, scales, diags, counts, lengths, values,
                                         2, 4)
        reference = loaded.direction(grad, decoded, row_cuts, col_cuts, flags, scope, floor)
        assert torch.equal(banked, reference), (scope, (banked - reference).abs().max())
    check_directions(loaded, quant, values, thresholds, g, floor)
    print("wrote %s (%d bytes) with torch %s" % (os.path.normpath(out), os.path.getsize(out),
                                                  torch.__version__))


if __name__ == "__main__":
    sys.exit(main())
