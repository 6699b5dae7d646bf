#!/usr/bin/env python3
"""Scripts the TorchScript module behind org.shampoo4j.shampoo.bank.BankKernels.

A T1 step updates two statistics per Shampoo block; through DJL every block costs a handful of
JNI calls (slices, transposes, matmuls, the EMA, a finiteness read), so a parameter of 16 blocks
costs 16 times a parameter of one. This module does the statistic work of all blocks of a
parameter in one call per operation kind: the Gram matrices of every block, and the EMA update of
every fp32 statistic with one finiteness flag per statistic (read by the host once), and the
refreshes of every representation. Inside the module the blocks of one order are stacked for the
heavy work (power iterations, eigendecompositions, QR, Cholesky, Björck, the matrix products: a
few kernels per order instead of per block) and decoded and encoded one by one, with the Java
path's operators one for one; on the CPU every result is bit for bit the one the per-block path
computes (check_stacking: each member alone equals it in a stack; only pow is taken row by row,
its vectorised and scalar paths rounding differently).

Run from shampoo-core/ (Debian's python3-torch 1.13 is enough; the saved file loads in DJL's
libtorch 2.7.1):

    /usr/bin/python3 scripts/make_bank_module.py

The build never runs this script: the produced .pt file is committed.
"""
import os
import sys
from typing import Dict, List, Tuple

import torch

# Decoding and encoding are quant-api's, imported from its script so that both modules run the
# same TorchScript code (bit for bit the same codes and floats).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "quant-api", "scripts"))
from make_quantizer_module import Quantizer  # noqa: E402
from make_linalg_module import max_eigenvalue, max_eigenvalues  # noqa: E402


class Bank(torch.nn.Module):
    """Batched statistic kernels of the preconditioner bank."""

    def __init__(self) -> None:
        super().__init__()
        self.codes = Quantizer()
        # The most elements (of n x n matrices) one stack holds: 2^24 floats, 64 MB in float32.
        # A stack's temporaries (its copies, the eigensolver's float64 one) stay a bounded
        # multiple of it, so a refresh's transient memory does not grow with the number of
        # blocks of one order.
        self.stack_elements = 1 << 24

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
    def grams_of_all(self, grads: List[torch.Tensor], row_cuts: List[int], row_counts: List[int],
                     col_cuts: List[int], col_counts: List[int]) -> List[torch.Tensor]:
        """grams of many gradients in one call: gradient i's row cuts are the next row_counts[i]
        entries of row_cuts (its column cuts likewise), and its Gram matrices follow those of
        gradient i - 1 in the result."""
        out: List[torch.Tensor] = []
        r = 0
        c = 0
        for i in range(len(grads)):
            out.extend(self.grams(grads[i], row_cuts[r:r + row_counts[i]],
                                  col_cuts[c:c + col_counts[i]]))
            r += row_counts[i]
            c += col_counts[i]
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
                         one_minus_beta: float, stacked: bool) -> List[torch.Tensor]:
        """EigenBjorckPreconditioner.accumulate of many dense-packed eigenvector matrices V_i
        (rows are eigenvectors) with fp32 eigenvalues l_i, operator for operator:
        V = Bjorck^t(D(V_i)), A = (V^T . diag(l_i) . V) . beta + gram_i . (1 - beta),
        Q = qr(A . V^T) with diag(R) >= 0, l' = sum_rows(Q * (A . Q)), V' = Q(Q^T). Returns
        [codes, scales, kept fp32, eigenvalues] of every member, then one bool tensor whose
        element i says whether Q_i and l'_i are finite. A failing QR raises (the caller then
        updates the members one by one)."""
        vectors = self._all_eigenvectors(codes, scales, kept, counts, row_lengths, eigenvalues,
                                         values, block_size, bits, bjorck_steps, stacked)
        coded: List[List[torch.Tensor]] = [[] for _ in range(len(codes))]
        spectra: List[torch.Tensor] = []
        flags: List[torch.Tensor] = []
        for index in self._groups(eigenvalues, stacked):
            v = self._take(vectors, index, stacked)
            vt = v.transpose(-2, -1)
            lam = self._take(eigenvalues, index, stacked).unsqueeze(-2)
            g = self._take(grams, index, stacked).to(torch.float32)
            a = vt.mul(lam).matmul(v).mul(beta).add(g.mul(one_minus_beta))
            q, r = torch.linalg.qr(a.matmul(vt), mode="reduced")
            d = torch.diagonal(r, 0, -2, -1)
            signs = torch.where(d < 0, -torch.ones_like(d), torch.ones_like(d))
            q = q * signs.unsqueeze(-2)
            next_values = q.mul(a.matmul(q)).sum([-2])
            largest = torch.maximum(q.abs().amax([-2, -1]), next_values.abs().amax([-1]))
            self._quantize_group(q, index, True, thresholds, row_lengths, block_size, bits, False,
                                 stacked, coded)
            self._place(spectra, index, next_values, stacked)
            self._place(flags, index, torch.isfinite(largest), stacked)
        out: List[torch.Tensor] = []
        for i in range(len(codes)):
            out.extend(coded[i])
            out.append(spectra[i])
        out.append(torch.stack(flags, 0))
        return out

    @torch.jit.export
    def eigen_roots(self, codes: List[torch.Tensor], scales: List[torch.Tensor],
                    kept: List[torch.Tensor], counts: List[int], row_lengths: List[int],
                    eigenvalues: List[torch.Tensor], values: torch.Tensor,
                    thresholds: torch.Tensor, block_size: int, bits: int, bjorck_steps: int,
                    root_row_lengths: List[int], epsilon: float, min_normal: float,
                    exponent: float, stacked: bool) -> List[torch.Tensor]:
        """EigenBjorckPreconditioner.refreshInverseRoot of many members, operator for operator:
        V = Bjorck^t(D(V_i)), l+ = max(l_i, 0), s = max(l+ + eps . max(l+), MIN_NORMAL)^(-1/p),
        root = V^T . diag(s) . V, stored off-diagonal quantized. Returns [codes, scales,
        diagonal] of every new root, then one bool tensor whose element i says whether root i
        is finite. Scalar operands are 0-dim tensors where the Java path makes them so
        (maximum, pow), so that the same kernels run."""
        vectors = self._all_eigenvectors(codes, scales, kept, counts, row_lengths, eigenvalues,
                                         values, block_size, bits, bjorck_steps, stacked)
        coded: List[List[torch.Tensor]] = [[] for _ in range(len(codes))]
        flags: List[torch.Tensor] = []
        for index in self._groups(eigenvalues, stacked):
            v = self._take(vectors, index, stacked)
            lam = self._take(eigenvalues, index, stacked)
            zero = torch.full([], 0.0, dtype=torch.float32, device=lam.device)
            lam = torch.maximum(lam, zero)
            ridge = lam.amax([-1], keepdim=True).mul(epsilon)
            floor = torch.full([], min_normal, dtype=torch.float32, device=lam.device)
            power = torch.full([], exponent, dtype=torch.float32, device=lam.device)
            scaled = torch.maximum(lam.add(ridge), floor).pow(power)
            root = v.transpose(-2, -1).mul(scaled.unsqueeze(-2)).matmul(v)
            self._quantize_group(root, index, False, thresholds, root_row_lengths, block_size,
                                 bits, True, stacked, coded)
            self._place(flags, index, torch.isfinite(root.abs().amax([-2, -1])), stacked)
        out: List[torch.Tensor] = []
        for parts in coded:
            out.extend(parts)
        out.append(torch.stack(flags, 0))
        return out

    def _all_eigenvectors(self, codes: List[torch.Tensor], scales: List[torch.Tensor],
                          kept: List[torch.Tensor], counts: List[int], row_lengths: List[int],
                          eigenvalues: List[torch.Tensor], values: torch.Tensor,
                          block_size: int, bits: int, bjorck_steps: int,
                          stacked: bool) -> List[torch.Tensor]:
        """Every member's stored eigenvector matrix decoded, then given bjorck_steps Bjorck
        iterations V <- 1.5 V - 0.5 (V V^T) V as EigenBjorckPreconditioner does (stacked:
        the members of one order as one stack)."""
        out: List[torch.Tensor] = []
        for index in self._groups(eigenvalues, stacked):
            n = eigenvalues[index[0]].numel()
            k = len(index)
            if stacked and self._stackable(index, counts, row_lengths, n, bits) and all(
                    [kept[i].numel() == 0 for i in index]):
                # One lookup and one scaling for the group: element-wise, the same floats.
                current = self.codes.dequantize(
                    torch.cat([codes[i].reshape(-1) for i in index]), values,
                    torch.cat([scales[i].reshape(-1) for i in index]), kept[index[0]],
                    k * n * n, row_lengths[index[0]], block_size, bits).reshape(k, n, n)
            else:
                alone = [self.codes.dequantize(codes[i], values, scales[i], kept[i], counts[i],
                                               row_lengths[i], block_size, bits).reshape(n, n)
                         for i in index]
                current = self._take(alone, [j for j in range(k)], stacked)
            for _ in range(bjorck_steps):
                vvt = current.matmul(current.transpose(-2, -1))
                current = current.mul(1.5).sub(vvt.matmul(current).mul(0.5))
            self._place(out, index, current, stacked)
        return out

    def _groups(self, sized: List[torch.Tensor], stacked: bool) -> List[List[int]]:
        """The groups a bank call computes on: stacked, the indices of the members of one first
        dimension (a block's order), in order of first appearance (_chunked); otherwise each
        member alone."""
        orders = [m.shape[0] for m in sized]
        return self._chunked(orders, orders, stacked)

    def _chunked(self, keys: List[int], orders: List[int], stacked: bool) -> List[List[int]]:
        """The members grouped by key in order of first appearance, each group cut into stacks
        of at most stack_elements elements of n x n matrices (n = the member's order), so that a
        stack's temporaries stay a bounded multiple of that size whatever the model; not
        stacked, each member alone."""
        out: List[List[int]] = []
        at: Dict[int, int] = {}
        for i in range(len(keys)):
            room = max(1, self.stack_elements // (orders[i] * orders[i]))
            key = keys[i]
            if stacked and key in at and len(out[at[key]]) < room:
                out[at[key]].append(i)
            else:
                at[key] = len(out)
                out.append([i])
        return out

    def _take(self, members: List[torch.Tensor], index: List[int],
              stacked: bool) -> torch.Tensor:
        """A group's operand: its members as one stack, or the one member itself."""
        if stacked:
            return torch.stack([members[i] for i in index], 0)
        return members[index[0]]

    def _place(self, out: List[torch.Tensor], index: List[int], result: torch.Tensor,
               stacked: bool) -> None:
        """Puts a group's result at its members' positions of out (result[j] at index[j] when
        stacked), growing out with empty tensors as needed."""
        for j in range(len(index)):
            while len(out) <= index[j]:
                out.append(torch.zeros([0], device=result.device))
            out[index[j]] = result[j] if stacked else result

    def _stackable(self, index: List[int], counts: List[int], row_lengths: List[int], n: int,
                   bits: int) -> bool:
        """Whether the packed n x n matrices at index can be coded as one stream: all n * n codes
        in rows of one length that divides n * n (blocks never cross a matrix), and each
        matrix's packed codes ending on a byte."""
        row = row_lengths[index[0]]
        for i in index:
            if counts[i] != n * n or row_lengths[i] != row:
                return False
        return (n * n) % row == 0 and (n * n * bits) % 8 == 0

    def _quantize_group(self, x: torch.Tensor, index: List[int], transpose: bool,
                        thresholds: torch.Tensor, row_lengths: List[int], block_size: int,
                        bits: int, off_diagonal: bool, stacked: bool,
                        slots: List[List[torch.Tensor]]) -> None:
        """[packed codes, scales, diagonal] of every n x n matrix of a group (x: its [k, n, n]
        stack, or its one matrix), transposed first if transpose, as quantize codes it, put at
        slots[index[j]]; a stack whose rows and bytes line up is coded in one encode and one pack
        (element-wise and block-wise work inside rows: the same codes)."""
        n = x.shape[-1]
        k = len(index)
        counts = [n * n for _ in range(len(row_lengths))]
        if stacked and self._stackable(index, counts, row_lengths, n, bits):
            if transpose:
                x = x.transpose(-2, -1)
            diagonals = torch.zeros([k, 0], dtype=torch.float32, device=x.device)
            if off_diagonal:
                diagonals = x.diagonal(0, -2, -1).clone()
                x = x.clone()
                x.diagonal(0, -2, -1).zero_()
            encoded = self.codes.encode_blocks(x.reshape(-1), thresholds, row_lengths[index[0]],
                                               block_size)
            packed = self.codes.pack(encoded[0], bits).reshape(k, -1)
            scales = encoded[1].reshape(k, -1)
            for j in range(k):
                slots[index[j]] = [packed[j], scales[j], diagonals[j]]
            return
        for j in range(k):
            m = x[j] if stacked else x
            flat = m.permute([1, 0]).reshape(-1) if transpose else m.reshape(-1)
            if off_diagonal:
                flat = flat.reshape(n, n)
            slots[index[j]] = self.codes.quantize(flat, thresholds, row_lengths[index[j]],
                                                  block_size, bits, off_diagonal)

    def _largest_eigenvalue(self, psd: torch.Tensor, iterations: int,
                            min_normal: float) -> torch.Tensor:
        """max_eigenvalue of one matrix (0-dim), or max_eigenvalues of a stack ([k])."""
        if psd.dim() == 3:
            return max_eigenvalues(psd, iterations, min_normal)
        return max_eigenvalue(psd, iterations, min_normal)

    def _eigh_roots(self, statistics: List[torch.Tensor], power_iterations: int,
                    min_normal: float, epsilon: float, relative_floor: float, exponent: float,
                    wide: bool, stacked: bool) -> Tuple[List[torch.Tensor],
                                                        List[torch.Tensor],
                                                        List[torch.Tensor],
                                                        List[List[int]],
                                                        List[torch.Tensor]]:
        """Per statistic s, (s + eps . lambda_max(s) . I)^(-1/p) as the per-block path computes
        it (the ridge as FullMatrixPreconditioner adds it, then EighInverseRoot), operator for
        operator (stacked: the statistics of one order as one stack). Every Number operand of
        DJL's NDArray is a 0-dim tensor of the Java type (float32 for a float, float64 for a
        double), so the same kernels run here; the float64 floor is rounded to float32 where
        the per-block path's kernel rounds it. Returns (roots, their largest magnitudes,
        eigensolver checks, the groups, each group's roots as computed): a check is
        EighInverseRoot's finiteness sum of the eigenpairs, float64 (non-finite: a float32 solve
        the per-block path retries in float64)."""
        f32 = torch.float32
        f64 = torch.float64
        roots: List[torch.Tensor] = []
        largest: List[torch.Tensor] = []
        checks: List[torch.Tensor] = []
        groups = self._groups(statistics, stacked)
        results: List[torch.Tensor] = []
        for index in groups:
            s = self._take(statistics, index, stacked)
            dev = s.device
            order = s.shape[-1]
            ridge = self._largest_eigenvalue(s, power_iterations, min_normal).mul(
                torch.full([], epsilon, dtype=f32, device=dev))
            ridged = s.add(torch.eye(order, dtype=f32, device=dev).mul(
                ridge.unsqueeze(-1).unsqueeze(-1)))
            if wide:
                values, vectors = torch.linalg.eigh(ridged.to(f64), UPLO="L")
                values = values.to(f32)
                vectors = vectors.to(f32)
            else:
                values, vectors = torch.linalg.eigh(ridged, UPLO="L")
            check = values.sum([-1]).add(vectors.abs().sum([-2, -1]))
            floor = values.amax([-1], keepdim=True).to(f64).mul(
                torch.full([], relative_floor, dtype=f64, device=dev)).maximum(
                torch.full([], min_normal, dtype=f32, device=dev)).to(f32)
            scaled = values.maximum(floor).pow(torch.full([], exponent, dtype=f64, device=dev))
            root = vectors.mul(scaled.unsqueeze(-2)).matmul(vectors.transpose(-2, -1))
            result = root.add(root.transpose(-2, -1)).mul(
                torch.full([], 0.5, dtype=f32, device=dev))
            self._place(roots, index, result, stacked)
            self._place(largest, index, result.abs().amax([-2, -1]), stacked)
            self._place(checks, index, check.to(f64), stacked)
            results.append(result)
        return roots, largest, checks, groups, results

    @torch.jit.export
    def cholesky_accumulate(self, forms: List[int], diagonals: List[torch.Tensor],
                            codes: List[torch.Tensor], factor_scales: List[torch.Tensor],
                            error_scales: List[torch.Tensor], fp32_lowers: List[torch.Tensor],
                            grams: List[torch.Tensor], codebook: torch.Tensor, levels: int,
                            block_size: int, bits: int, beta: float, one_minus_beta: float,
                            epsilon: float, power_iterations: int, min_normal: float,
                            beta_e: float, one_minus_beta_e: float,
                            stacked: bool) -> List[torch.Tensor]:
        """The first factorisation attempt of CholeskyEfPreconditioner.accumulate for many
        stored factors, operator for operator. Member i has form forms[i] (0: fp32
        strictly-lower entries, 1: their codes, 2: error feedback, factor codes in the
        strictly-lower and error codes in the strictly-upper triangle of one packed code matrix)
        and order diagonals[i].numel(). C = D(codes) + diag(d), L = (C . C^T) . beta +
        gram . (1 - beta), r = max(lambda_max(L) . eps, MIN_NORMAL), C' = chol(L + r . I); with
        error feedback X = strictly-lower(C') + E, codes = Q(X),
        E' = E . beta_e + (X - D(Q(X))) . (1 - beta_e) (E' = X - D(Q(X)) when beta_e = 0),
        itself quantized. codebook is the codebook's values (the first levels entries) followed
        by its thresholds. Returns [diagonal, packed codes, factor scales, error scales, fp32
        strictly-lower entries] of every member (the buffers its form does not use are empty),
        then one bool tensor whose element i says whether member i factored (info 0) to a
        finite factor; a member that did not is left to the per-member path, which retries
        with a growing ridge."""
        f32 = torch.float32
        values = codebook[:levels]
        thresholds = codebook[levels:]
        positions: Dict[int, List[torch.Tensor]] = {}
        slots: List[List[torch.Tensor]] = [[] for _ in range(len(forms))]
        factored: List[torch.Tensor] = []
        for index in self._factor_groups(forms, diagonals, stacked):
            form = forms[index[0]]
            n = diagonals[index[0]].numel()
            if n not in positions:
                positions[n] = self._triangle_positions(n, diagonals[index[0]].device)
            decoded = self._factors(form, index, diagonals, codes, factor_scales, error_scales,
                                    fp32_lowers, values, block_size, bits, positions[n])
            c = decoded[0]
            g = self._take(grams, index, True).to(f32)
            if not stacked:
                # One block: the per-block path's 2-D operators, bit for bit.
                c = c[0]
                g = g[0]
            dev = c.device
            statistic = c.matmul(c.transpose(-2, -1)).mul(beta).add(g.mul(one_minus_beta))
            ridge = self._largest_eigenvalue(statistic, power_iterations, min_normal).mul(
                torch.full([], epsilon, dtype=f32, device=dev)).maximum(
                torch.full([], min_normal, dtype=f32, device=dev))
            identity = torch.eye(n, dtype=f32, device=dev)
            chol, info = torch.linalg.cholesky_ex(
                statistic.add(identity.mul(ridge.unsqueeze(-1).unsqueeze(-1))), upper=False,
                check_errors=False)
            ok = info.eq(0).logical_and(torch.isfinite(chol).flatten(-2).all(-1))
            if not stacked:
                chol = chol.unsqueeze(0)
                ok = ok.unsqueeze(0)
            self._place(factored, index, ok, True)
            encoded = self._encode_factors(form, chol, decoded[1], values, thresholds,
                                           block_size, bits, beta_e, one_minus_beta_e,
                                           positions[n])
            for j in range(len(index)):
                slots[index[j]] = encoded[5 * j:5 * j + 5]
        out: List[torch.Tensor] = []
        for parts in slots:
            out.extend(parts)
        out.append(torch.stack(factored, 0))
        return out

    def _factor_groups(self, forms: List[int], diagonals: List[torch.Tensor],
                       stacked: bool) -> List[List[int]]:
        """The groups of stored factors decoded, updated and encoded together: stacked, those of
        one order and form (_chunked); otherwise each alone."""
        orders = [d.numel() for d in diagonals]
        keys = [orders[i] * 3 + forms[i] for i in range(len(forms))]
        return self._chunked(keys, orders, stacked)

    def _codes_of(self, packed: List[torch.Tensor], index: List[int], bits: int,
                  count: int) -> torch.Tensor:
        """[k, count] codes of the members at index, each unpacked from its stream of count
        codes: one unpack of the concatenated streams when every stream ends on a byte."""
        if count * bits % 8 == 0:
            return self.codes.unpack(torch.cat([packed[i].reshape(-1) for i in index]), bits,
                                     len(index) * count).reshape(len(index), count)
        return torch.stack([self.codes.unpack(packed[i], bits, count) for i in index], 0)

    def _packed(self, codes: torch.Tensor, bits: int) -> List[torch.Tensor]:
        """Per row of [k, count] codes its packed stream: one pack when every row ends on a
        byte."""
        k = codes.shape[0]
        count = codes.shape[1]
        if count * bits % 8 == 0:
            return list(self.codes.pack(codes.reshape(-1), bits).split(count * bits // 8))
        return [self.codes.pack(codes[j], bits) for j in range(k)]

    def _factors(self, form: int, index: List[int], diagonals: List[torch.Tensor],
                 codes: List[torch.Tensor], factor_scales: List[torch.Tensor],
                 error_scales: List[torch.Tensor], fp32_lowers: List[torch.Tensor],
                 values: torch.Tensor, block_size: int, bits: int,
                 positions: List[torch.Tensor]) -> List[torch.Tensor]:
        """[C = D(strictly-lower codes) + diag(d) ([k, n, n]), the decoded error states E ([k,
        pairs]; zeros unless form 2)] of the stored factors at index, all of one order and form,
        as shampoo-cholesky-ef's FactorCodec.factorMatrix and errorLower compute them (element by
        element, so the floats do not depend on k); positions: _triangle_positions of the
        order."""
        f32 = torch.float32
        d = self._take(diagonals, index, True)
        dev = d.device
        k = d.shape[0]
        n = d.shape[1]
        pairs = n * (n - 1) // 2
        lower_at = positions[0]
        upper_at = positions[1]
        error = torch.zeros([k, pairs], dtype=f32, device=dev)
        if form == 0:
            lower = self._take(fp32_lowers, index, True)
        elif form == 1:
            lower = self.codes.decode_blocks(
                self._codes_of(codes, index, bits, pairs).to(f32), values,
                torch.cat([factor_scales[i] for i in index]), pairs, block_size).reshape(k, pairs)
        else:
            stream = self._codes_of(codes, index, bits, 2 * pairs).to(f32)
            matrix = torch.cat([torch.zeros([k, 1], dtype=f32, device=dev), torch.cat(
                [stream.reshape(k, n - 1, n), torch.zeros([k, n - 1, 1], dtype=f32, device=dev)],
                2).reshape(k, -1)], 1)
            lower = self.codes.decode_blocks(
                matrix.index_select(1, lower_at), values,
                torch.cat([factor_scales[i] for i in index]), pairs, block_size).reshape(k, pairs)
            error = self.codes.decode_blocks(
                matrix.index_select(1, upper_at), values,
                torch.cat([error_scales[i] for i in index]), pairs, block_size).reshape(k, pairs)
        strict = torch.zeros([k, n * n], dtype=f32, device=dev).index_copy(
            1, lower_at, lower).reshape(k, n, n)
        c = strict.add(torch.eye(n, dtype=f32, device=dev).mul(d.unsqueeze(1)))
        return [c, error]

    def _encode_factors(self, form: int, chol: torch.Tensor, error: torch.Tensor,
                        values: torch.Tensor, thresholds: torch.Tensor, block_size: int,
                        bits: int, beta_e: float, one_minus_beta_e: float,
                        positions: List[torch.Tensor]) -> List[torch.Tensor]:
        """Per new factor of the [k, n, n] stack, in order, the five buffers of
        cholesky_accumulate (diagonal, packed codes, factor scales, error scales, fp32
        strictly-lower entries; those its form does not use empty), encoded element by element
        as the per-block path does."""
        f32 = torch.float32
        dev = chol.device
        k = chol.shape[0]
        n = chol.shape[1]
        pairs = n * (n - 1) // 2
        lower_at = positions[0]
        upper_at = positions[1]
        empty = torch.zeros([0], dtype=f32, device=dev)
        no_codes = torch.zeros([0], dtype=torch.uint8, device=dev)
        diagonals = chol.diagonal(0, -2, -1).clone()
        next_lower = chol.reshape(k, n * n).index_select(1, lower_at)
        out: List[torch.Tensor] = []
        if form == 0:
            for j in range(k):
                out.extend([diagonals[j], no_codes, empty, empty.clone(), next_lower[j]])
            return out
        if form == 1:
            encoded = self.codes.encode_blocks(next_lower, thresholds, pairs, block_size)
            packed = self._packed(encoded[0].reshape(k, pairs), bits)
            scales = encoded[1].reshape(k, -1)
            for j in range(k):
                out.extend([diagonals[j], packed[j], scales[j], empty, empty.clone()])
            return out
        target = next_lower.add(error)
        encoded = self.codes.encode_blocks(target, thresholds, pairs, block_size)
        residual = target.sub(self.codes.decode_blocks(
            encoded[0].to(f32), values, encoded[1], pairs, block_size).reshape(k, pairs))
        next_error = residual
        if beta_e != 0.0:
            next_error = error.mul(beta_e).add(residual.mul(one_minus_beta_e))
        error_encoded = self.codes.encode_blocks(next_error, thresholds, pairs, block_size)
        shared = torch.zeros([k, n * n], dtype=torch.uint8, device=dev).index_copy(
            1, lower_at, encoded[0].reshape(k, pairs)).index_copy(
            1, upper_at, error_encoded[0].reshape(k, pairs))
        stream = shared[:, 1:].reshape(k, n - 1, n + 1)[:, :, :n].reshape(k, -1)
        packed = self._packed(stream, bits)
        factor_scales = encoded[1].reshape(k, -1)
        error_scales = error_encoded[1].reshape(k, -1)
        for j in range(k):
            out.extend([diagonals[j], packed[j], factor_scales[j], error_scales[j], empty])
        return out

    @torch.jit.export
    def cholesky_eigh_roots(self, forms: List[int], diagonals: List[torch.Tensor],
                            codes: List[torch.Tensor], factor_scales: List[torch.Tensor],
                            error_scales: List[torch.Tensor], fp32_lowers: List[torch.Tensor],
                            codebook: torch.Tensor, levels: int, block_size: int, bits: int,
                            root_row_lengths: List[int], power_iterations: int,
                            min_normal: float, epsilon: float, relative_floor: float,
                            exponent: float, wide: bool,
                            stacked: bool) -> List[torch.Tensor]:
        """dense_eigh_roots of the statistics C . C^T rebuilt from stored Cholesky factors (the
        arguments of cholesky_accumulate), as CholeskyEfPreconditioner.refreshInverseRoot with
        the eigh root method computes them: [codes, scales, diagonal] of every new root, then
        the [2, n] flags of full_eigh_roots."""
        values = codebook[:levels]
        thresholds = codebook[levels:]
        statistics: List[torch.Tensor] = [torch.zeros([0]) for _ in range(len(forms))]
        positions: Dict[int, List[torch.Tensor]] = {}
        for index in self._factor_groups(forms, diagonals, stacked):
            n = diagonals[index[0]].numel()
            if n not in positions:
                positions[n] = self._triangle_positions(n, diagonals[index[0]].device)
            c = self._factors(forms[index[0]], index, diagonals, codes, factor_scales,
                              error_scales, fp32_lowers, values, block_size, bits,
                              positions[n])[0]
            if stacked:
                products = c.matmul(c.transpose(-2, -1))
                for j in range(len(index)):
                    statistics[index[j]] = products[j]
            else:
                statistics[index[0]] = c[0].matmul(c[0].permute([1, 0]))
        return self._stored_roots(statistics, thresholds, root_row_lengths, block_size, bits,
                                  power_iterations, min_normal, epsilon, relative_floor,
                                  exponent, wide, stacked)

    def _stored_roots(self, statistics: List[torch.Tensor], thresholds: torch.Tensor,
                      row_lengths: List[int], block_size: int, bits: int,
                      power_iterations: int, min_normal: float, epsilon: float,
                      relative_floor: float, exponent: float, wide: bool,
                      stacked: bool) -> List[torch.Tensor]:
        """The eigh-root batches' result: every statistic's root (_eigh_roots) as [codes,
        scales, diagonal], stored off-diagonal quantized, then the [2, n] flags of
        full_eigh_roots."""
        result = self._eigh_roots(statistics, power_iterations, min_normal, epsilon,
                                  relative_floor, exponent, wide, stacked)
        coded: List[List[torch.Tensor]] = [[] for _ in range(len(statistics))]
        for g in range(len(result[3])):
            self._quantize_group(result[4][g], result[3][g], False, thresholds, row_lengths,
                                 block_size, bits, True, stacked, coded)
        out: List[torch.Tensor] = []
        for parts in coded:
            out.extend(parts)
        return self._with_flags(out, result[1], result[2])

    def _with_flags(self, out: List[torch.Tensor], largest: List[torch.Tensor],
                    checks: List[torch.Tensor]) -> List[torch.Tensor]:
        """out followed by the [2, n] flags of full_eigh_roots."""
        out.append(torch.stack([torch.isfinite(torch.stack(largest, 0)),
                                torch.isfinite(torch.stack(checks, 0))], 0))
        return out

    def _triangle_positions(self, n: int, device: torch.device) -> List[torch.Tensor]:
        """[flat positions (i, j), flat positions (j, i)] of the strictly-lower entries i > j of
        an n x n matrix, in row-major order of the lower triangle (the order of
        shampoo-cholesky-ef's TriangleLayout)."""
        index = torch.tril_indices(n, n, -1, device=device)
        return [index[0].mul(n).add(index[1]), index[1].mul(n).add(index[0])]

    @torch.jit.export
    def full_eigh_roots(self, statistics: List[torch.Tensor], power_iterations: int,
                        min_normal: float, epsilon: float, relative_floor: float,
                        exponent: float, wide: bool,
                        stacked: bool) -> List[torch.Tensor]:
        """FullMatrixPreconditioner.refreshInverseRoot with the eigh root method for many fp32
        statistics: [root_i for every i], then one bool tensor [2, n]: row 0 whether root i is
        finite, row 1 whether its eigenpairs were (see _eigh_roots). A failing eigensolver
        raises (the caller then refreshes the members one by one)."""
        result = self._eigh_roots(statistics, power_iterations, min_normal, epsilon,
                                  relative_floor, exponent, wide, stacked)
        out: List[torch.Tensor] = []
        for root in result[0]:
            out.append(root)
        return self._with_flags(out, result[1], result[2])

    @torch.jit.export
    def naive_eigh_roots(self, codes: List[torch.Tensor], scales: List[torch.Tensor],
                         diagonals: List[torch.Tensor], counts: List[int],
                         row_lengths: List[int], values: torch.Tensor, thresholds: torch.Tensor,
                         block_size: int, bits: int, root_row_lengths: List[int],
                         power_iterations: int, min_normal: float, epsilon: float,
                         relative_floor: float, exponent: float,
                         wide: bool, stacked: bool) -> List[torch.Tensor]:
        """NaiveQuantizedPreconditioner.refreshInverseRoot (symmetrised, eigh root method) of
        many off-diagonal packed statistics: S = D(S_i), (S + S^T) . 0.5, the root of
        _eigh_roots, stored off-diagonal quantized. Returns [codes, scales, diagonal] of every
        new root, then the [2, n] flags of full_eigh_roots."""
        statistics: List[torch.Tensor] = []
        for i in range(len(codes)):
            order = diagonals[i].numel()
            s = self.codes.dequantize(codes[i], values, scales[i], diagonals[i], counts[i],
                                      row_lengths[i], block_size, bits).reshape(order, order)
            statistics.append(s.add(s.permute([1, 0])).mul(
                torch.full([], 0.5, dtype=torch.float32, device=s.device)))
        return self._stored_roots(statistics, thresholds, root_row_lengths, block_size, bits,
                                  power_iterations, min_normal, epsilon, relative_floor,
                                  exponent, wide, stacked)

    @torch.jit.export
    def dense_eigh_roots(self, statistics: List[torch.Tensor], thresholds: torch.Tensor,
                         block_size: int, bits: int, root_row_lengths: List[int],
                         power_iterations: int, min_normal: float, epsilon: float,
                         relative_floor: float, exponent: float,
                         wide: bool, stacked: bool) -> List[torch.Tensor]:
        """The roots of full_eigh_roots stored off-diagonal quantized, as
        CholeskyEfPreconditioner.refreshInverseRoot stores its root (statistics rebuilt from the
        factors by the caller): [codes, scales, diagonal] of every new root, then the [2, n]
        flags of full_eigh_roots."""
        return self._stored_roots(statistics, thresholds, root_row_lengths, block_size, bits,
                                  power_iterations, min_normal, epsilon, relative_floor,
                                  exponent, wide, stacked)


def check_cholesky(loaded: torch.jit.ScriptModule, quant: Quantizer, values: torch.Tensor,
                   thresholds: torch.Tensor, g: torch.Generator, stacked: bool) -> None:
    """cholesky_accumulate against the same operators run here: the fp32 form exactly, the
    error-feedback form within its quantization error; a NaN gram is flagged."""
    n = 6
    pairs = n * (n - 1) // 2
    codebook = torch.cat([values, thresholds])
    rows, cols = torch.tril_indices(n, n, -1)
    d = torch.full([n], 1e-3)
    x = torch.randn(n, 3, generator=g)
    gram = x @ x.t()
    args = (codebook, 16, 4, 4, 0.95, 1.0 - 0.95, 1e-6, 32, 1.1754943508222875e-38, 0.0, 1.0,
            stacked)
    empty = torch.zeros([0])
    fp32 = loaded.cholesky_accumulate([0], [d], [torch.zeros([0], dtype=torch.uint8)],
                                      [empty], [empty], [torch.zeros([pairs])], [gram], *args)
    statistic = torch.diag(d) @ torch.diag(d).t() * 0.95 + gram * (1.0 - 0.95)
    ridge = max_eigenvalue(statistic, 32, 1.1754943508222875e-38) * 1e-6
    chol = torch.linalg.cholesky(statistic + torch.eye(n) * ridge)
    assert torch.equal(fp32[0], chol.diagonal()) and torch.equal(fp32[4], chol[rows, cols])
    assert fp32[5].tolist() == [True]
    zero_codes = torch.full([2 * pairs], 7, dtype=torch.uint8)
    packed = quant.pack(zero_codes, 4)
    scales = torch.zeros([(pairs + 3) // 4])
    ef = loaded.cholesky_accumulate([2, 2], [d, d], [packed, packed], [scales, scales],
                                    [scales, scales], [empty, empty],
                                    [gram, torch.full([n, n], float("nan"))], *args)
    assert ef[10].tolist() == [True, False]
    stream = quant.unpack(ef[1], 4, 2 * pairs).to(torch.float32)
    matrix = torch.cat([torch.zeros(1), torch.cat([stream.reshape(n - 1, n),
                                                   torch.zeros(n - 1, 1)], 1).reshape(-1)])
    lower = quant.decode_blocks(matrix.reshape(n, n)[rows, cols], values, ef[2], pairs, 4)
    assert (lower - chol[rows, cols]).abs().max() <= ef[2].max() / 7
    assert torch.equal(ef[0], chol.diagonal())
    strict = torch.zeros(n, n)
    strict[rows, cols] = lower
    c = strict.add(torch.eye(n).mul(ef[0].unsqueeze(0)))
    eigh = (32, 1.1754943508222875e-38, 1e-6, 1e-7, -0.25, True, stacked)
    roots = loaded.cholesky_eigh_roots([2], [ef[0]], [ef[1]], [ef[2]], [ef[3]], [empty],
                                       codebook, 16, 4, 4, [n], *eigh)
    expected = loaded.dense_eigh_roots([c.matmul(c.permute(1, 0))], thresholds, 4, 4, [n], *eigh)
    assert len(roots) == 4 and all(torch.equal(a, b) for a, b in zip(roots, expected))


def check_stacking(loaded: torch.jit.ScriptModule, quant: Quantizer, values: torch.Tensor,
                   thresholds: torch.Tensor, g: torch.Generator) -> None:
    """Stacked (the members of one order as one stack, as on accelerators), every member gets
    what it gets alone within float32 rounding: the fp32 results compared, and every flag."""
    orders = [8, 16, 8, 8]
    grams = []
    for n in orders:
        x = torch.randn(n, n + 3, generator=g)
        grams.append(x @ x.t() / n + torch.eye(n))

    def close(call, member_args, fp32: List[int], flags: bool = True) -> None:
        alone = call(*(member_args + [False]))
        together = call(*(member_args + [True]))
        assert len(alone) == len(together), call
        for i in fp32:
            scale = alone[i].abs().max().item()
            assert torch.allclose(alone[i], together[i], rtol=1e-4, atol=1e-5 * scale), (call, i)
        if flags:
            assert torch.equal(alone[-1], together[-1]), call

    eigh = [32, 1.1754943508222875e-38, 1e-6, 1e-7, -0.25, False]
    close(loaded.full_eigh_roots, [grams] + eigh, list(range(len(orders))))
    vectors = []
    spectra = []
    for s in grams:
        w, v = torch.linalg.eigh(s)
        vectors.append(quant.quantize(v.t().reshape(-1), thresholds, s.shape[0], 4, 4, False))
        spectra.append(w)
    stored = [[v[0] for v in vectors], [v[1] for v in vectors], [v[2] for v in vectors],
              [n * n for n in orders], orders, spectra, values, thresholds, 4, 4]
    close(loaded.eigen_accumulate, stored + [1, grams, 0.95, 1.0 - 0.95],
          [4 * i + 3 for i in range(len(orders))])
    close(loaded.eigen_roots, stored + [4, orders, 1e-6, 1.1754943508222875e-38, -0.25], [])
    pairs = [n * (n - 1) // 2 for n in orders]
    empty = torch.zeros([0])
    factors = [[0] * len(orders), [torch.full([n], 1e-3) for n in orders],
               [torch.zeros([0], dtype=torch.uint8) for _ in orders], [empty for _ in orders],
               [empty for _ in orders], [torch.zeros([p]) for p in pairs]]
    codebook = torch.cat([values, thresholds])
    close(loaded.cholesky_accumulate, factors + [grams, codebook, 16, 4, 4, 0.95, 1.0 - 0.95,
                                                 1e-6, 32, 1.1754943508222875e-38, 0.5, 0.5],
          [5 * i + k for i in range(len(orders)) for k in (0, 4)])
    close(loaded.cholesky_eigh_roots, factors + [codebook, 16, 4, 4, orders] + eigh, [])
    # Stacks cut at stack_elements: the same results in smaller stacks.
    whole = loaded.full_eigh_roots(grams, *eigh, True)
    limit = loaded.stack_elements
    loaded.stack_elements = 150
    cut = loaded.full_eigh_roots(grams, *eigh, True)
    loaded.stack_elements = limit
    assert torch.equal(whole[-1], cut[-1]) and all(
        torch.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(whole[:-1], cut[:-1]))


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
    other = torch.randn(4, 3, generator=g)
    both = loaded.grams_of_all([grad, other], [0, 3, 5, 0, 4], [3, 2], [0, 4, 7, 0, 3], [3, 2])
    assert len(both) == 10 and all(torch.equal(a, b) for a, b in zip(both[:8], grams))
    assert torch.equal(both[8], other @ other.t()) and torch.equal(both[9], other.t() @ other)
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
                                 1.1754943508222875e-38, 1e-6, 1e-7, -0.25, True, False)
    w, v = torch.linalg.eigh(spd.double())
    ridged = spd.double() + torch.eye(5, dtype=torch.float64) * 1e-6 * w[-1]
    w, v = torch.linalg.eigh(ridged)
    expected = (v * w.pow(-0.25).unsqueeze(0)) @ v.t()
    assert torch.allclose(res[0].double(), expected, rtol=1e-4, atol=1e-5)
    assert res[1].tolist() == [[True], [True]]
    with torch.jit.optimized_execution(False):
        check_cholesky(loaded, quant, values, thresholds, g, False)
        check_cholesky(loaded, quant, values, thresholds, g, True)
        check_stacking(loaded, quant, values, thresholds, g)
    print("wrote %s (%d bytes) with torch %s" % (os.path.normpath(out), os.path.getsize(out),
                                                  torch.__version__))


if __name__ == "__main__":
    sys.exit(main())
