#!/usr/bin/env python3
"""Scripts the TorchScript module behind org.shampoo4j.shampoo.base.BaseStepKernels.

A base-optimizer step through DJL costs about a dozen JNI calls per parameter (gradient
rescale/clip, the non-finite check, the update's arithmetic, the gated writes, the gradient
clearing); on a GPU the host then cannot keep up with the kernels. Each method here updates every
parameter of one step (lists of tensors) in one call: DJL's rescaleGrad and clipGrad, the
NonFinitePolicy.GUARDED check (max |g| <= the float32 overflow bound, NaN is not ok), and
SGD-momentum or AdamW with every write of a rejected parameter selected away, then the weights'
gradients zeroed (as DJL's zeroGrad: an undefined gradient is left alone). It repeats the Java per-parameter path's operations one for one (same operators, same
order, the same float32 constants, computed on the Java side and passed in), so results are bit
for bit those of SgdMomentum and AdamW called per parameter.

Run from shampoo-core/ (Debian's python3-torch 1.13 is enough; the saved file loads in DJL's
libtorch 2.7.1):

    /usr/bin/python3 scripts/make_base_step_module.py

The build never runs this script: the produced .pt file is committed.
"""
import os
import sys
from typing import List, Optional, Tuple, Union

import torch


def flat_views(ts: List[torch.Tensor]) -> List[torch.Tensor]:
    """1-D views of ts, through which a pass reads and writes them (each must be contiguous, as
    DJL's parameters and this project's state are; a view of another layout fails loudly)."""
    return [t.view(-1) for t in ts]


def write_back(targets: List[torch.Tensor], flat: torch.Tensor, counts: List[int]) -> None:
    """Copies flat into the 1-D targets with two multi-tensor kernels (1.13 has no foreach copy):
    zeroed, then added, which gives each value back exactly (up to the sign of a zero)."""
    torch._foreach_zero_(targets)
    torch._foreach_add_(targets, torch.split(flat, counts))


def prepare(g: torch.Tensor, rescale: float, clip: float) -> torch.Tensor:
    """DJL's rescaleGrad then clipGrad, as GradientPreprocessor applies them."""
    if rescale != 1.0:
        g = g.mul(rescale)
    if clip > 0.0:
        g = g.clamp(-clip, clip)
    return g


def own_grads(weights: List[torch.Tensor]) -> List[torch.Tensor]:
    """Each weight's own gradient (a method given no gradients updates the weights from these,
    and the caller need not hand the host a handle per parameter). A weight without one fails."""
    out: List[torch.Tensor] = []
    for w in weights:
        box: List[Optional[torch.Tensor]] = [w.grad]
        g = box[0]
        if g is None:
            raise RuntimeError("a weight has no gradient to update from")
        out.append(g)
    return out


def given_grads(weights: List[torch.Tensor],
                grads: List[torch.Tensor]) -> Tuple[List[torch.Tensor], bool]:
    """The gradients a method applies, and whether they are all the weights' own: none given
    means each weight's own (own_grads); a given empty tensor stands for its weight's own
    gradient (an empty weight's own is empty too), so that the directions of some parameters can
    travel with the others' own gradients."""
    if len(grads) == 0 and len(weights) > 0:
        return own_grads(weights), True
    out: List[torch.Tensor] = []
    for i in range(len(grads)):
        g = grads[i]
        if g.numel() == 0 and weights[i].numel() > 0:
            g = own_grads([weights[i]])[0]
        out.append(g)
    return out, False


def zero_grads(weights: List[torch.Tensor]) -> List[torch.Tensor]:
    """Zeroes each weight's gradient where it has one, as DJL's zeroGrad, in one multi-tensor
    kernel, and returns the zeroed gradients. The caller must return them from the method: the
    compiler does not see that a weight's gradient aliases it, and drops a foreach write to a list
    nothing reads. The gradient goes through an Optional list element so that the compiler keeps
    the None test: libtorch 2.x (DJL's) treats an undefined tensor as None there; 1.13's
    interpreter does not, so the self-check below only passes weights that have a gradient."""
    present: List[torch.Tensor] = []
    for w in weights:
        box: List[Optional[torch.Tensor]] = [w.grad]
        g = box[0]
        if g is not None:
            present.append(g)
    if len(present) > 0:
        torch._foreach_zero_(present)
    return present


def cleared(weights: List[torch.Tensor], grads: List[torch.Tensor], own: bool,
            zero: bool) -> List[torch.Tensor]:
    """The weights' gradients zeroed if zero (to be returned by the method, see zero_grads):
    grads themselves when they are the weights' own (own_grads), else through the weights."""
    if not zero:
        return []
    if own:
        torch._foreach_zero_(grads)
        return grads
    return zero_grads(weights)


# Gate modes, as BaseStepKernels passes them: every update lands; each parameter's ok flag is
# computed here from its gradient (NonFinitePolicy.GUARDED, the checks are returned); or the
# flags come in (Shampoo's gates, computed from the raw gradient before preconditioning).
GATE_OPEN = 0
GATE_CHECK = 1
GATE_GIVEN = 2


# No list of host numbers becomes a device tensor here: torch.tensor(list, device=cuda) copies
# through pageable memory and waits for the device to drain its queue, the very stall a fused step
# is for. Per-parameter numbers reach the device as the scalar arguments of multi-tensor kernels.


def scalars(values: List[float]) -> List[Union[int, float, complex]]:
    """values as the Scalar list a multi-tensor kernel takes."""
    out: List[Union[int, float, complex]] = []
    for v in values:
        out.append(v)
    return out


def owners(counts: List[int], device: torch.device) -> torch.Tensor:
    """For each element of a flat pass, the index of its parameter, written by one multi-tensor
    kernel (the indices travel as its scalars)."""
    index = torch.zeros([sum(counts)], dtype=torch.int32, device=device)
    positions: List[Union[int, float, complex]] = []
    for i in range(len(counts)):
        positions.append(i)
    torch._foreach_add_(torch.split(index, counts), positions)
    return index


def scale(flat: torch.Tensor, counts: List[int], factors: List[float]) -> torch.Tensor:
    """flat with each parameter's elements multiplied by its factor, in place (flat must be a
    temporary of the pass): the same float32 products as multiplying each parameter by its scalar."""
    torch._foreach_mul_(torch.split(flat, counts), scalars(factors))
    return flat


def guard_flags(gs: List[torch.Tensor], bounds: List[float]) -> Tuple[torch.Tensor, torch.Tensor]:
    """GATE_CHECK's flags ([n] bool) and checks ([2, n] float32) of the gradients gs: a parameter
    is ok when max |g| <= its bound and it holds no NaN. max |g| comes from the multi-tensor
    infinity norm, and a NaN or an infinity shows as a non-zero sum of |0 * g|, so the flag does
    not depend on whether the norm kernel propagates NaN. The reported maximum is NaN for a
    parameter holding a NaN (as abs().max() says) unless it also holds an infinity."""
    # In float32 whatever the gradients' type, as the per-parameter check converts max |g|.
    top = torch.stack(torch._foreach_norm(gs, float("inf"))).to(torch.float32)
    probe = torch.stack(torch._foreach_norm(torch._foreach_mul(gs, 0.0), 1))
    # top <= bound exactly when top - bound <= 0 (a float difference of unequal values is
    # never zero), and the bounds travel as kernel scalars.
    excess = torch.stack(torch._foreach_sub(top.unbind(0), scalars(bounds)))
    ok = excess.le(0.0).logical_and(probe.eq(0.0))
    reported = torch.where(torch.isfinite(top).logical_and(probe.ne(0.0)),
                           torch.full_like(top, float("nan")), top)
    return ok, torch.stack([reported, ok.to(torch.float32)])


def gate(gs: List[torch.Tensor], mode: int, bounds: List[float], given: List[torch.Tensor],
         counts: List[int]) -> Tuple[torch.Tensor, torch.Tensor]:
    """The per-element mask the writes go through (empty in GATE_OPEN) and the checks ([2, n] in
    GATE_CHECK, else [2, 0]) for the prepared gradient's per-parameter views gs. In GATE_CHECK a
    parameter is ok when max |g| <= its bound and it holds no NaN: max |g| comes from the
    multi-tensor infinity norm, and a NaN or an infinity shows as a non-zero sum of |0 * g|, so the
    flag does not depend on whether the norm kernel propagates NaN. The reported maximum is NaN
    for a parameter holding a NaN (as abs().max() says) unless it also holds an infinity."""
    device = gs[0].device
    checks = torch.zeros([2, 0], dtype=torch.float32, device=device)
    if mode == 0:
        return torch.ones([0], dtype=torch.bool, device=device), checks
    if mode == 1:
        ok, checks = guard_flags(gs, bounds)
    else:
        ok = torch.stack(given)
    return ok.index_select(0, owners(counts, device)), checks


def sgd_pass(weights: List[torch.Tensor], grads: List[torch.Tensor], buffers: List[torch.Tensor],
             counts: List[int], lrs: List[float], bounds: List[float], rescale: float,
             clip: float, mode: int, given: List[torch.Tensor], momentum: float, nesterov: bool,
             weight_decay: float) -> torch.Tensor:
    """One flat pass of BaseStep.sgd over some parameters (weights and buffers as 1-D views);
    returns their checks."""
    g = prepare(torch.cat([t.reshape(-1) for t in grads]), rescale, clip)
    mask, checks = gate(torch.split(g, counts), mode, bounds, given, counts)
    gated = mode != 0
    d = g
    if weight_decay != 0.0:
        d = d.add(torch.cat(weights).mul(weight_decay))
    u = d
    if momentum != 0.0:
        b = torch.cat(buffers)
        fresh = b.mul(momentum).add(d)
        kept = fresh
        if gated:
            kept = torch.where(mask, fresh, b)
        write_back(buffers, kept, counts)
        if nesterov:
            u = d.add(fresh.mul(momentum))
        else:
            u = fresh
    # u is a temporary of the pass by now (the buffers hold their own copy).
    step = scale(u, counts, lrs)
    if gated:
        step = torch.where(mask, step, 0.0)
    torch._foreach_sub_(weights, torch.split(step, counts))
    return checks


def adamw_pass(weights: List[torch.Tensor], grads: List[torch.Tensor], ms: List[torch.Tensor],
               vs: List[torch.Tensor], counts: List[int], decay_factors: List[float],
               step_sizes: List[float], sqrt_bias2: List[float], bounds: List[float],
               rescale: float, clip: float, mode: int, given: List[torch.Tensor], beta1: float,
               beta2: float, one_minus_beta1: float, one_minus_beta2: float, epsilon: float,
               decay: bool) -> torch.Tensor:
    """One flat pass of BaseStep.adamw over some parameters (weights and moments as 1-D views);
    returns their checks."""
    g = prepare(torch.cat([t.reshape(-1) for t in grads]), rescale, clip)
    mask, checks = gate(torch.split(g, counts), mode, bounds, given, counts)
    gated = mode != 0
    m = torch.cat(ms)
    v = torch.cat(vs)
    m_fresh = m.mul(beta1).add(g.mul(one_minus_beta1))
    v_fresh = v.mul(beta2).add(g.square().mul(one_minus_beta2))
    m_kept = m_fresh
    v_kept = v_fresh
    if gated:
        m_kept = torch.where(mask, m_fresh, m)
        v_kept = torch.where(mask, v_fresh, v)
    write_back(ms, m_kept, counts)
    write_back(vs, v_kept, counts)
    # A true division per parameter, as the Java path's division by a device scalar (CUDA divides
    # by a host scalar through its reciprocal, which rounds differently; the multi-tensor kernel
    # divides).
    root = v_fresh.sqrt()
    torch._foreach_div_(torch.split(root, counts), scalars(sqrt_bias2))
    step = scale(m_fresh.div(root.add(epsilon)), counts, step_sizes)
    if gated:
        step = torch.where(mask, step, 0.0)
    if decay:
        w = torch.cat(weights)
        decayed = scale(w.clone(), counts, decay_factors)
        kept = decayed
        if gated:
            kept = torch.where(mask, decayed, w)
        write_back(weights, kept.sub(step), counts)
    else:
        torch._foreach_sub_(weights, torch.split(step, counts))
    return checks


def checks_of(parts: List[torch.Tensor]) -> torch.Tensor:
    """The passes' checks side by side, on their device (read by the host later, not here)."""
    if len(parts) == 0:
        return torch.zeros([2, 0], dtype=torch.float32)
    return torch.cat(parts, 1)


class BaseStep(torch.nn.Module):
    """Fused base-optimizer steps over all parameters of one step, on flat copies: each operator
    runs once over many parameters' elements (or as one multi-tensor kernel) instead of once per
    parameter, and a rejected parameter's writes are selected away element by element."""

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        # A module needs a forward to be scripted as a whole; it is not used by the Java side.
        return a

    @torch.jit.export
    def check(self, g: torch.Tensor, bound: float) -> Tuple[torch.Tensor, torch.Tensor]:
        """One parameter's NonFinitePolicy.GUARDED check in one call: whether max |g| is within
        bound (NaN is not), and [max |g|, that flag as 0/1] as float32, as the Java path computes
        them (the pair is what the host reads later, stacked with the other parameters')."""
        with torch.no_grad():
            top = g.abs().max().to(torch.float32)
            ok = top.le(bound)
            pair = torch.stack([top, ok.to(torch.float32)])
        return ok, pair

    @torch.jit.export
    def checks(self, weights: List[torch.Tensor], grads: List[torch.Tensor],
               bounds: List[float]) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """The NonFinitePolicy.GUARDED checks of several parameters in one call, as the fused
        methods compute them in GATE_CHECK: each parameter's ok flag (a 0-d bool tensor, to be
        given back to a fused method in GATE_GIVEN) and the [2, n] checks the host reads later.
        For gradients that are not what the fused method applies (Shampoo's directions). grads
        as given_grads takes them (empty: the weights' own)."""
        with torch.no_grad():
            grads, own = given_grads(weights, grads)
            ok, checks = guard_flags([g.reshape(-1) for g in grads], bounds)
        return ok.unbind(0), checks

    @torch.jit.export
    def sgd(self, weights: List[torch.Tensor], grads: List[torch.Tensor],
            buffers: List[torch.Tensor], lrs: List[float], bounds: List[float], rescale: float,
            clip: float, mode: int, given: List[torch.Tensor], zero: bool, momentum: float,
            nesterov: bool, weight_decay: float, counts: List[int],
            runs: List[int]) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """SGD with coupled weight decay and (Nesterov) momentum (buffers empty when momentum is
        0); grads as given_grads takes them (empty, or an empty entry: a weight's own gradient). counts: each parameter's element count; runs: the boundaries of the flat passes
        (0, ..., n; the caller cuts them by dtype and size). Returns the checks ([2, n]) in mode
        GATE_CHECK, else an empty [2, 0] tensor, and the gradients it zeroed (see zero_grads; the
        caller ignores them)."""
        parts: List[torch.Tensor] = []
        with torch.no_grad():
            grads, own = given_grads(weights, grads)
            w = flat_views(weights)
            b = flat_views(buffers)
            for r in range(len(runs) - 1):
                a = runs[r]
                e = runs[r + 1]
                parts.append(sgd_pass(w[a:e], grads[a:e], b[a:e] if momentum != 0.0 else b,
                                      counts[a:e], lrs[a:e],
                                      bounds[a:e] if mode == 1 else bounds, rescale, clip, mode,
                                      given[a:e] if mode == 2 else given, momentum, nesterov,
                                      weight_decay))
            zeroed = cleared(weights, grads, own, zero)
        return checks_of(parts), zeroed

    @torch.jit.export
    def adamw(self, weights: List[torch.Tensor], grads: List[torch.Tensor],
              ms: List[torch.Tensor], vs: List[torch.Tensor], decay_factors: List[float],
              step_sizes: List[float], sqrt_bias2: List[float], bounds: List[float],
              rescale: float, clip: float, mode: int, given: List[torch.Tensor], zero: bool,
              beta1: float, beta2: float, one_minus_beta1: float, one_minus_beta2: float,
              epsilon: float, decay: bool, counts: List[int],
              runs: List[int]) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """AdamW with decoupled weight decay: per parameter decay_factors = 1 - lr*wd, step_sizes
        = lr / (1 - beta1^t), sqrt_bias2 = sqrt(1 - beta2^t), all float32 values; counts and runs
        as sgd. Returns the checks as sgd."""
        parts: List[torch.Tensor] = []
        with torch.no_grad():
            grads, own = given_grads(weights, grads)
            w = flat_views(weights)
            m = flat_views(ms)
            v = flat_views(vs)
            for r in range(len(runs) - 1):
                a = runs[r]
                e = runs[r + 1]
                parts.append(adamw_pass(w[a:e], grads[a:e], m[a:e], v[a:e], counts[a:e],
                                        decay_factors[a:e], step_sizes[a:e], sqrt_bias2[a:e],
                                        bounds[a:e] if mode == 1 else bounds, rescale, clip, mode,
                                        given[a:e] if mode == 2 else given, beta1, beta2,
                                        one_minus_beta1, one_minus_beta2, epsilon, decay))
            zeroed = cleared(weights, grads, own, zero)
        return checks_of(parts), zeroed


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "src", "main", "resources", "org", "shampoo4j", "shampoo",
                       "base", "base_step.pt")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    module = torch.jit.script(BaseStep().eval())
    torch.jit.save(module, out)
    # Self-check before anyone commits the file.
    loaded = torch.jit.load(out)
    # As the Java side runs it (TorchScriptModules): without the graph executor's optimisation,
    # which rewrites list code wrongly in 1.13 and rounds differently on CUDA.
    with torch.jit.optimized_execution(False):
        self_check(loaded)
    print("wrote %s (%d bytes) with torch %s" % (os.path.normpath(out), os.path.getsize(out),
                                                  torch.__version__))


def layout(weights: List[torch.Tensor], limit: int = 1 << 23) -> Tuple[List[int], List[int]]:
    """counts and runs as BaseStepKernels computes them: passes of one dtype and at most limit
    elements (a larger parameter alone in its pass)."""
    counts = [w.numel() for w in weights]
    runs = [0]
    size = 0
    for i, w in enumerate(weights):
        if i > runs[-1] and (size + counts[i] > limit or w.dtype != weights[runs[-1]].dtype):
            runs.append(i)
            size = 0
        size += counts[i]
    if weights:
        runs.append(len(weights))
    return counts, runs


def check_checks(loaded: torch.jit.ScriptModule) -> None:
    """checks() against check() per parameter: same flags, same reported maxima."""
    gen = torch.Generator().manual_seed(1)
    grads = [torch.randn(5, 3, generator=gen), torch.randn(7, generator=gen),
             torch.randn(2, 2, generator=gen)]
    grads[1][3] = float("nan")
    bounds = [10.0, 10.0, 0.5]
    weights = [torch.zeros_like(g).requires_grad_() for g in grads]
    flags, checks = loaded.checks(weights, grads, bounds)
    for w, g in zip(weights, grads):
        w.grad = g.clone()
    own_flags, own_checks = loaded.checks(weights, [], bounds)
    mixed_flags, mixed_checks = loaded.checks(weights, [grads[0], torch.empty(0), grads[2]],
                                              bounds)
    for other, other_flags in ((own_checks, own_flags), (mixed_checks, mixed_flags)):
        assert torch.equal(other.nan_to_num(), checks.nan_to_num()), (other, checks)
        assert [bool(f) for f in other_flags] == [bool(f) for f in flags]
    for i, g in enumerate(grads):
        ok, pair = loaded.check(g, bounds[i])
        assert bool(flags[i]) == bool(ok), (i, flags[i], ok)
        assert torch.equal(checks[:, i].isnan(), pair.isnan()), (i, checks[:, i], pair)
        assert torch.equal(checks[:, i].nan_to_num(), pair.nan_to_num()), (i, checks[:, i], pair)


def self_check(loaded: torch.jit.ScriptModule) -> None:
    """Checks the saved module before anyone commits it."""
    check_checks(loaded)
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(4, 3, generator=gen).requires_grad_()
    w.grad = torch.ones(4, 3)
    g = torch.randn(4, 3, generator=gen)
    bad = torch.full([2], float("nan"))
    wb = torch.randn(2, generator=gen).requires_grad_()
    wb.grad = torch.ones(2)
    b0 = torch.zeros(4, 3)
    b1 = torch.zeros(2)
    w_before = w.clone()
    wb_before = wb.clone()
    c = loaded.sgd([w, wb], [g, bad], [b0, b1], [0.1, 0.1], [1e18, 1e18], 1.0, -1.0, GATE_CHECK,
                   [], True, 0.9, False, 0.0, *layout([w, wb]))[0]
    assert torch.equal(w, w_before - g * 0.1), (w, w_before)
    assert torch.equal(w.grad, torch.zeros(4, 3)) and torch.equal(wb.grad, torch.zeros(2))
    assert torch.equal(wb, wb_before) and torch.equal(b1, torch.zeros(2))
    assert c.shape == (2, 2) and c[1, 0] == 1.0 and c[1, 1] == 0.0 and torch.isnan(c[0, 1])
    m = torch.zeros(4, 3)
    v = torch.zeros(4, 3)
    w2 = w.detach().clone().requires_grad_()
    w2.grad = torch.ones(4, 3)
    loaded.adamw([w2], [g], [m], [v], [1.0], [0.1 / 0.1], [0.001 ** 0.5], [1e18], 1.0, -1.0,
                 GATE_OPEN, [], True, 0.9, 0.999, 0.1, 0.001, 1e-8, False, *layout([w2]))
    ok, pair = loaded.check(torch.tensor([1.0, -3.0]), 2.5)
    assert pair.tolist() == [3.0, 0.0] and not ok.item() and pair.dtype == torch.float32
    ok, pair = loaded.check(torch.tensor([float("nan"), 1.0]), 1e30)
    assert not ok.item() and torch.isnan(pair[0]) and pair[1] == 0.0
    # Given flags: the second parameter's update is selected away.
    w3 = torch.randn(3, generator=gen)
    w4 = torch.randn(3, generator=gen)
    w4_before = w4.clone()
    loaded.sgd([w3, w4], [torch.ones(3), torch.ones(3)], [], [0.5, 0.5], [], 1.0, -1.0,
               GATE_GIVEN, [torch.tensor(True), torch.tensor(False)], False, 0.0, False, 0.0,
               *layout([w3, w4]))
    assert torch.equal(w4, w4_before)
    assert torch.allclose(w2, w - 0.1 * torch.sign(g), atol=1e-4), (w2, w)
    # An infinity is reported as such; a step over more than one flat pass (2^23 elements each)
    # equals the per-parameter arithmetic.
    big = [torch.randn(5_000_000, generator=gen) for _ in range(3)]
    grads = [torch.randn(5_000_000, generator=gen) for _ in range(2)]
    grads.append(torch.full([5_000_000], float("inf")))
    expected = [b - 0.5 * gr for b, gr in zip(big[:2], grads[:2])] + [big[2].clone()]
    c = loaded.sgd(big, grads, [], [0.5, 0.5, 0.5], [3e38, 3e38, 3e38], 1.0, -1.0, GATE_CHECK,
                   [], False, 0.0, False, 0.0, *layout(big))[0]
    assert c.shape == (2, 3) and c[0, 2] == float("inf") and c[1].tolist() == [1.0, 1.0, 0.0], c
    assert all(torch.equal(a, b) for a, b in zip(big, expected))
    # No gradients given: each weight's own, the same update as passing them, zeroed after.
    w5 = torch.randn(4, 3, generator=gen).requires_grad_()
    w6 = w5.detach().clone().requires_grad_()
    own = torch.randn(4, 3, generator=gen)
    w5.grad = own.clone()
    w6.grad = own.clone()
    b5 = torch.zeros(4, 3)
    b6 = torch.zeros(4, 3)
    c5 = loaded.sgd([w5], [], [b5], [0.1], [1e18], 1.0, -1.0, GATE_CHECK, [], True, 0.9, False,
                    0.0, *layout([w5]))[0]
    c6 = loaded.sgd([w6], [w6.grad.clone()], [b6], [0.1], [1e18], 1.0, -1.0, GATE_CHECK, [],
                    True, 0.9, False, 0.0, *layout([w6]))[0]
    assert torch.equal(w5, w6) and torch.equal(b5, b6) and torch.equal(c5, c6)
    assert torch.equal(w5.grad, torch.zeros(4, 3))
    # Mixed: an empty entry is its weight's own gradient, the others are applied as given; every
    # weight's gradient is zeroed.
    w7 = torch.randn(4, 3, generator=gen).requires_grad_()
    w8 = torch.randn(2, generator=gen).requires_grad_()
    w7.grad = torch.randn(4, 3, generator=gen)
    w8.grad = torch.randn(2, generator=gen)
    direction = torch.randn(4, 3, generator=gen)
    expected = [w7.detach() - 0.1 * direction, w8.detach() - 0.1 * w8.grad]
    loaded.sgd([w7, w8], [direction, torch.empty(0)], [], [0.1, 0.1], [1e18, 1e18], 1.0, -1.0,
               GATE_CHECK, [], True, 0.0, False, 0.0, *layout([w7, w8]))
    assert torch.equal(w7, expected[0]) and torch.equal(w8, expected[1]), (w7, w8, expected)
    assert torch.equal(w7.grad, torch.zeros(4, 3)) and torch.equal(w8.grad, torch.zeros(2))


if __name__ == "__main__":
    sys.exit(main())
