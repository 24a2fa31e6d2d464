"""Batched products for S stacked models that round exactly like the single-model ones.

A vectorized sweep is only useful if seed s of the sweep *is* the single run with seed s, but
a batched product does not always sum in the order of the S single products it replaces: BLAS
picks kernels by shape (and `F.linear` takes another path for one-row inputs that require
grad), and autograd's backward of `bmm` forms the weight gradient as `(x^T g)^T` where
`F.linear`'s forms `g^T x`. A last-bit difference per step grows to ~1e-5 in the weights over
a 1,501-step schedule.

So every product here has two forms: the reference, which runs the single model's own op
model by model under autograd (exact by definition), and a batched form. The first time a
shape is seen, both run on random inputs and the batched form is used for each part (output,
input gradient, weight gradient, ...) only where it gives the same bits; elsewhere the stack
falls back to the reference. On the project's CPU the batched forms match for the anchored
model's layer shapes at batch 64, so that stack runs fully batched (see the tests).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

_PROBE_ELEMENTS = 1 << 14  # outputs compared per part: a kernel that rounds differently shows it
#                            on some inputs, not on every one, so compare many
_plans: dict[tuple, dict[str, bool]] = {}


def _leaf(t: Tensor, grad: bool) -> Tensor:
    # A fresh copy, as a single model's own tensor: some kernels (one-row products) round
    # differently on the unaligned slices of a stacked tensor.
    return t.detach().clone().requires_grad_(grad)


def _per_model(op: Callable[..., Tensor], inputs: Sequence[Tensor], needs: Sequence[bool],
               grad: Tensor | None = None) -> list[Tensor | None]:
    """The single model's computation, model by model: `op`'s output, or with `grad` the
    gradients autograd gives each input that needs one (None for the others)."""
    results = []
    for index in range(inputs[0].shape[0]):
        with torch.enable_grad():
            leaves = [_leaf(t[index], need) for t, need in zip(inputs, needs)]
            out = op(*leaves)
            if grad is None:
                results.append(out.detach())
                continue
            wanted = [leaf for leaf in leaves if leaf.requires_grad]
            grads = iter(torch.autograd.grad(out, wanted, grad[index]))
            results.append([next(grads) if leaf.requires_grad else None for leaf in leaves])
    if grad is None:
        return [torch.stack(results)]
    return [torch.stack(list(column)) if column[0] is not None else None for column in zip(*results)]


def _linear(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    return F.linear(x, w, b)


def _gram(u: Tensor) -> Tensor:
    return u @ u.T


def _batched_linear(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))


def _batched_linear_grads(x: Tensor, w: Tensor, g: Tensor, needs: Sequence[bool] = (True, True, True)) -> list:
    # F.linear's backward: grad @ W, grad^T @ x, and the bias gradient summed over the batch.
    need_x, need_w, need_b = needs
    return [torch.bmm(g, w) if need_x else None, torch.bmm(g.transpose(1, 2), x) if need_w else None,
            g.sum(1) if need_b else None]


def _batched_gram(u: Tensor) -> Tensor:
    return torch.bmm(u, u.transpose(1, 2))


def _batched_gram_grad(u: Tensor, g: Tensor) -> Tensor:
    # `u @ u.T`'s backward: grad @ u from the first factor, grad^T @ u from the transposed second.
    return torch.bmm(g, u) + torch.bmm(g.transpose(1, 2), u)


def _random(shape: Sequence[int], like: Tensor, seed: int) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(tuple(shape), generator=generator, dtype=like.dtype).to(like.device)


def _repeats(stack: int, batch: int, width: int) -> int:
    # Kernels also split work by thread count, so plans are kept per shape *and* thread count.
    return max(1, -(-_PROBE_ELEMENTS // (stack * batch * width)))


def _linear_plan(x: Tensor, w: Tensor) -> dict[str, bool]:
    """Which parts of a stacked linear layer of this shape run batched (True) or per model."""
    stack, batch, fan_in = x.shape
    fan_out = w.shape[1]
    key = ("linear", stack, batch, fan_in, fan_out, x.requires_grad, x.dtype, x.device, torch.get_num_threads())
    if key not in _plans:
        plan = dict.fromkeys(("forward", "grad_x", "grad_w", "grad_b"), True)
        for seed in range(_repeats(stack, batch, fan_out)):
            px, pw, pb, pg = (_random(shape, x, 4 * seed + i) for i, shape in enumerate(
                [(stack, batch, fan_in), (stack, fan_out, fan_in), (stack, fan_out), (stack, batch, fan_out)]))
            (reference,) = _per_model(_linear, (px, pw, pb), (x.requires_grad, True, True))
            plan["forward"] &= torch.equal(_batched_linear(px, pw, pb), reference)
            for part, got, want in zip(("grad_x", "grad_w", "grad_b"), _batched_linear_grads(px, pw, pg),
                                        _per_model(_linear, (px, pw, pb), (True, True, True), pg)):
                plan[part] &= torch.equal(got, want)
        _plans[key] = plan
    return _plans[key]


def _gram_plan(u: Tensor) -> dict[str, bool]:
    stack, batch, dims = u.shape
    key = ("gram", stack, batch, dims, u.dtype, u.device, torch.get_num_threads())
    if key not in _plans:
        plan = {"forward": True, "grad": True}
        for seed in range(_repeats(stack, batch, batch)):
            pu, pg = _random((stack, batch, dims), u, 2 * seed), _random((stack, batch, batch), u, 2 * seed + 1)
            plan["forward"] &= torch.equal(_batched_gram(pu), _per_model(_gram, (pu,), (True,))[0])
            plan["grad"] &= torch.equal(_batched_gram_grad(pu, pg), _per_model(_gram, (pu,), (True,), pg)[0])
        _plans[key] = plan
    return _plans[key]


class _StackedLinear(torch.autograd.Function):
    @staticmethod
    def forward(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        if _linear_plan(x, weight)["forward"]:
            return _batched_linear(x, weight, bias)
        return _per_model(_linear, (x, weight, bias), (x.requires_grad, True, True))[0]

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        x, weight, bias = inputs
        ctx.save_for_backward(x, weight, bias)
        ctx.plan = _linear_plan(x, weight)

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, weight, bias = ctx.saved_tensors
        grad = grad.contiguous()  # as the single model's gradient arrives
        parts = [ctx.plan[p] for p in ("grad_x", "grad_w", "grad_b")]
        needs = ctx.needs_input_grad
        grads = _batched_linear_grads(x, weight, grad, [n and batched for n, batched in zip(needs, parts)])
        if any(need and not batched for need, batched in zip(needs, parts)):
            reference = _per_model(_linear, (x, weight, bias), needs, grad)
            grads = [g if batched else r for g, r, batched in zip(grads, reference, parts)]
        return tuple(g if need else None for g, need in zip(grads, needs))


class _StackedGram(torch.autograd.Function):
    @staticmethod
    def forward(u: Tensor) -> Tensor:
        if _gram_plan(u)["forward"]:
            return _batched_gram(u)
        return _per_model(_gram, (u,), (True,))[0]

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (u,) = ctx.saved_tensors
        grad = grad.contiguous()
        if _gram_plan(u)["grad"]:
            return _batched_gram_grad(u, grad)
        return _per_model(_gram, (u,), (True,), grad)[0]


def _pointwise_plan(layer: torch.nn.Module, x: Tensor) -> bool:
    """Whether a layer acting on each sample alone (an activation, a normalization) gives the
    same bits, forward and backward, on the stacked tensor as on each model's own tensor.

    Vectorized kernels handle the last few elements of a tensor in a scalar loop, and
    transcendental functions (erf, exp) round differently there, so a layer is exact on the
    stack only when those tails fall alike."""
    key = ("pointwise", repr(layer), *x.shape, x.dtype, x.device, torch.get_num_threads())
    if key not in _plans:
        exact = True
        for seed in range(_repeats(x.shape[0], x.shape[1], x.shape[-1])):
            px, pg = _random(x.shape, x, 2 * seed), _random(x.shape, x, 2 * seed + 1)
            with torch.enable_grad():
                leaf = _leaf(px, True)
                out = layer(leaf)
                (grad,) = torch.autograd.grad(out, leaf, pg)
            exact &= torch.equal(out.detach(), _per_model(layer, (px,), (True,))[0])
            exact &= torch.equal(grad, _per_model(layer, (px,), (True,), pg)[0])
        _plans[key] = {"batched": exact}
    return _plans[key]["batched"]


class _PerModelPointwise(torch.autograd.Function):
    @staticmethod
    def forward(x: Tensor, layer: torch.nn.Module) -> Tensor:
        return _per_model(layer, (x,), (True,))[0]

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(inputs[0])
        ctx.layer = inputs[1]

    @staticmethod
    def backward(ctx, grad: Tensor):
        (x,) = ctx.saved_tensors
        return _per_model(ctx.layer, (x,), (True,), grad.contiguous())[0], None


def stacked_pointwise(layer: torch.nn.Module, x: Tensor) -> Tensor:
    """`layer` (without parameters, acting on each sample alone) on every model of a stack:
    batched where that is exact for this shape, model by model where it is not."""
    if _pointwise_plan(layer, x):
        return layer(x)
    return _PerModelPointwise.apply(x, layer)


def _per_model_pow(x: Tensor, exponent: float) -> Tensor:
    out = torch.empty_like(x)
    for xs, outs in zip(x, out):
        torch.pow(xs, exponent, out=outs)
    return out


def _pow_plan(x: Tensor, exponent: float) -> bool:
    """Whether `x ** exponent` (and the power of the backward) over the whole stack gives each
    model the bits its own tensor gets. Probed on values in [0.5, 1), where powers such as
    c^100 are neither 0 nor 1 and any difference in rounding shows."""
    key = ("pow", *x.shape, exponent, x.dtype, x.device, torch.get_num_threads())
    if key not in _plans:
        exact = True
        for seed in range(_repeats(x.shape[0], x.shape[1], x[0, 0].numel())):
            probe = _random(x.shape, x, seed).abs_().remainder_(0.5).add_(0.5)
            for power in (exponent, exponent - 1):
                exact &= torch.equal(probe**power, _per_model_pow(probe, power))
        _plans[key] = {"batched": exact}
    return _plans[key]["batched"]


class _StackedPow(torch.autograd.Function):
    @staticmethod
    def forward(x: Tensor, exponent: float) -> Tensor:
        return x**exponent if _pow_plan(x, exponent) else _per_model_pow(x, exponent)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(inputs[0])
        ctx.exponent = inputs[1]

    @staticmethod
    def backward(ctx, grad: Tensor):
        (x,) = ctx.saved_tensors
        exponent = ctx.exponent
        if exponent == 0:
            return torch.zeros_like(x), None
        # autograd's pow backward, grad * (exponent * x ** (exponent - 1)), its power taken as above.
        power = x ** (exponent - 1) if _pow_plan(x, exponent) else _per_model_pow(x, exponent - 1)
        return grad * (exponent * power), None


def stacked_pow(x: Tensor, exponent: float) -> Tensor:
    """`x ** exponent` for a stack [S, ...]: slice s rounds (and differentiates) as `x[s] ** exponent`.

    Elementwise kernels run the bulk of a tensor in SIMD registers and its last few elements
    in a scalar loop, and a transcendental such as `pow` rounds differently in the two. Over
    the whole stack, the elements that a model's single run computes in that tail (e.g. the
    last 16 of a 36 x 36 cosine matrix) would be computed in SIMD; for such shapes the power is
    taken slice by slice, so each model's elements fall exactly as in its own run. Shapes that
    fill the SIMD loop, like a 64 x 64 matrix, run over the whole stack at once.
    """
    return _StackedPow.apply(x, float(exponent))


def stacked_linear(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """S linear layers at once: x [S, B, in], weight [S, out, in], bias [S, out] -> [S, B, out].

    Slice s equals `F.linear(x[s], weight[s], bias[s])` to the bit, and so do its gradients.
    """
    return _StackedLinear.apply(x, weight, bias)


def stacked_gram(u: Tensor) -> Tensor:
    """Per-model Gram matrices u [S, B, k] -> [S, B, B]; slice s equals `u[s] @ u[s].T` (and its gradient)."""
    return _StackedGram.apply(u)
