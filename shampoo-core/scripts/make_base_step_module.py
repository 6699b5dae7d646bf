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
from typing import List, Optional

import torch


def prepare(g: torch.Tensor, rescale: float, clip: float) -> torch.Tensor:
    """DJL's rescaleGrad then clipGrad, as GradientPreprocessor applies them."""
    if rescale != 1.0:
        g = g.mul(rescale)
    if clip > 0.0:
        g = g.clamp(-clip, clip)
    return g


def checks(max_abs: List[torch.Tensor], oks: List[torch.Tensor], device: torch.device) -> torch.Tensor:
    """[2, n] float32: max |g| of each parameter, then its ok flag as 0/1 (one host read)."""
    if len(max_abs) == 0:
        return torch.zeros([2, 0], dtype=torch.float32, device=device)
    flags = [ok.to(torch.float32) for ok in oks]
    return torch.stack([torch.stack(max_abs), torch.stack(flags)])


def zero_grads(weights: List[torch.Tensor]) -> None:
    """Zeroes each weight's gradient where it has one, as DJL's zeroGrad. The gradient goes through
    an Optional list element so that the compiler keeps the None test: libtorch 2.x (DJL's) treats
    an undefined tensor as None there; 1.13's interpreter does not, so the self-check below only
    passes weights that have a gradient."""
    for w in weights:
        box: List[Optional[torch.Tensor]] = [w.grad]
        g = box[0]
        if g is not None:
            g.zero_()


# Gate modes, as BaseStepKernels passes them: every update lands; each parameter's ok flag is
# computed here from its gradient (NonFinitePolicy.GUARDED, the checks are returned); or the
# flags come in (Shampoo's gates, computed from the raw gradient before preconditioning).
GATE_OPEN = 0
GATE_CHECK = 1
GATE_GIVEN = 2


def gate(i: int, g: torch.Tensor, mode: int, bounds: List[float], given: List[torch.Tensor],
         max_abs: List[torch.Tensor], flags: List[torch.Tensor]) -> torch.Tensor:
    """The ok flag of parameter i (true when the gate is open)."""
    if mode == 1:
        m = g.abs().max().to(torch.float32)
        ok = m.le(bounds[i])
        max_abs.append(m)
        flags.append(ok)
        return ok
    if mode == 2:
        return given[i]
    return torch.ones([], dtype=torch.bool, device=g.device)


class BaseStep(torch.nn.Module):
    """Fused base-optimizer steps over all parameters of one step."""

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        # A module needs a forward to be scripted as a whole; it is not used by the Java side.
        return a

    @torch.jit.export
    def sgd(self, weights: List[torch.Tensor], grads: List[torch.Tensor],
            buffers: List[torch.Tensor], lrs: List[float], bounds: List[float], rescale: float,
            clip: float, mode: int, given: List[torch.Tensor], zero: bool, momentum: float,
            nesterov: bool, weight_decay: float) -> torch.Tensor:
        """SGD with coupled weight decay and (Nesterov) momentum (buffers empty when momentum is
        0). Returns the checks ([2, n]) in mode GATE_CHECK, else an empty [2, 0] tensor."""
        max_abs: List[torch.Tensor] = []
        flags: List[torch.Tensor] = []
        gated = mode != 0
        with torch.no_grad():
            for i in range(len(weights)):
                w = weights[i]
                g = prepare(grads[i], rescale, clip)
                ok = gate(i, g, mode, bounds, given, max_abs, flags)
                d = g
                if weight_decay != 0.0:
                    d = d.add(w.mul(weight_decay))
                u = d
                if momentum != 0.0:
                    b = buffers[i]
                    if gated:
                        fresh = b.mul(momentum).add(d)
                        b.copy_(torch.where(ok, fresh, b))
                        b = fresh
                    else:
                        b.mul_(momentum).add_(d)
                    if nesterov:
                        u = d.add(b.mul(momentum))
                    else:
                        u = b
                step = u.mul(lrs[i])
                if gated:
                    step = torch.where(ok, step, 0.0)
                w.sub_(step)
            if zero:
                zero_grads(weights)
        return checks(max_abs, flags, weights[0].device)

    @torch.jit.export
    def adamw(self, weights: List[torch.Tensor], grads: List[torch.Tensor],
              ms: List[torch.Tensor], vs: List[torch.Tensor], decay_factors: List[float],
              step_sizes: List[float], sqrt_bias2: List[float], bounds: List[float],
              rescale: float, clip: float, mode: int, given: List[torch.Tensor], zero: bool,
              beta1: float, beta2: float, one_minus_beta1: float, one_minus_beta2: float,
              epsilon: float, decay: bool) -> torch.Tensor:
        """AdamW with decoupled weight decay: per parameter decay_factors = 1 - lr*wd, step_sizes
        = lr / (1 - beta1^t), sqrt_bias2 = sqrt(1 - beta2^t), all float32 values. Returns the
        checks as sgd."""
        max_abs: List[torch.Tensor] = []
        flags: List[torch.Tensor] = []
        gated = mode != 0
        with torch.no_grad():
            for i in range(len(weights)):
                w = weights[i]
                g = prepare(grads[i], rescale, clip)
                ok = gate(i, g, mode, bounds, given, max_abs, flags)
                d = g
                if decay:
                    if gated:
                        w.copy_(torch.where(ok, w.mul(decay_factors[i]), w))
                    else:
                        w.mul_(decay_factors[i])
                m_inc = d.mul(one_minus_beta1)
                v_inc = d.square().mul(one_minus_beta2)
                m = ms[i]
                v = vs[i]
                if gated:
                    m_fresh = m.mul(beta1).add(m_inc)
                    v_fresh = v.mul(beta2).add(v_inc)
                    m.copy_(torch.where(ok, m_fresh, m))
                    v.copy_(torch.where(ok, v_fresh, v))
                    m = m_fresh
                    v = v_fresh
                else:
                    m.mul_(beta1).add_(m_inc)
                    v.mul_(beta2).add_(v_inc)
                # A device scalar divisor, as the Java path's: CUDA divides by a host scalar
                # through its reciprocal, which rounds differently.
                divisor = torch.full([], sqrt_bias2[i], dtype=torch.float32, device=v.device)
                denom = v.sqrt().div(divisor).add(epsilon)
                step = m.div(denom).mul(step_sizes[i])
                if gated:
                    step = torch.where(ok, step, 0.0)
                w.sub_(step)
            if zero:
                zero_grads(weights)
        return checks(max_abs, flags, weights[0].device)


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "src", "main", "resources", "org", "shampoo4j", "shampoo",
                       "base", "base_step.pt")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    module = torch.jit.script(BaseStep().eval())
    torch.jit.save(module, out)
    # Self-check before anyone commits the file.
    loaded = torch.jit.load(out)
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
                   [], True, 0.9, False, 0.0)
    assert torch.equal(w, w_before - g * 0.1), (w, w_before)
    assert torch.equal(w.grad, torch.zeros(4, 3)) and torch.equal(wb.grad, torch.zeros(2))
    assert torch.equal(wb, wb_before) and torch.equal(b1, torch.zeros(2))
    assert c.shape == (2, 2) and c[1, 0] == 1.0 and c[1, 1] == 0.0 and torch.isnan(c[0, 1])
    m = torch.zeros(4, 3)
    v = torch.zeros(4, 3)
    w2 = w.detach().clone().requires_grad_()
    w2.grad = torch.ones(4, 3)
    loaded.adamw([w2], [g], [m], [v], [1.0], [0.1 / 0.1], [0.001 ** 0.5], [1e18], 1.0, -1.0,
                 GATE_OPEN, [], True, 0.9, 0.999, 0.1, 0.001, 1e-8, False)
    # Given flags: the second parameter's update is selected away.
    w3 = torch.randn(3, generator=gen)
    w4 = torch.randn(3, generator=gen)
    w4_before = w4.clone()
    loaded.sgd([w3, w4], [torch.ones(3), torch.ones(3)], [], [0.5, 0.5], [], 1.0, -1.0,
               GATE_GIVEN, [torch.tensor(True), torch.tensor(False)], False, 0.0, False, 0.0)
    assert torch.equal(w4, w4_before)
    assert torch.allclose(w2, w - 0.1 * torch.sign(g), atol=1e-4), (w2, w)
    print("wrote %s (%d bytes) with torch %s" % (os.path.normpath(out), os.path.getsize(out),
                                                  torch.__version__))


if __name__ == "__main__":
    sys.exit(main())
