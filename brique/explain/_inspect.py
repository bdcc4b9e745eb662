"""What every explanation and attack needs: run a model as a fixed function of its input.

`inspecting(model)` puts the model in eval mode, stops its parameters from recording a graph
(so their `.grad` stays as it was and the backward skips weight gradients) and turns gradient
recording on, even inside a caller's `no_grad()`; everything is restored on exit.
"""
from __future__ import annotations

import contextlib

from ..autograd import enable_grad, grad
from ..creation import tensor
from ..tensor import Tensor


@contextlib.contextmanager
def inspecting(model):
    was_training = getattr(model, "training", False)
    params = [p for p in _parameters(model) if p.requires_grad]
    if hasattr(model, "eval"):
        model.eval()
    for p in params:
        p.requires_grad = False
    try:
        with enable_grad():
            yield
    finally:
        for p in params:
            p.requires_grad = True
        if hasattr(model, "train"):
            model.train(was_training)


def _parameters(model):
    return list(model.parameters()) if hasattr(model, "parameters") else []


def check_input(x, op, min_dim=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: x must be a brique Tensor, got {type(x).__name__}")
    if x.ndim < min_dim or not x.is_floating_point():
        raise ValueError(f"{op}: x must be a floating-point tensor with at least {min_dim} "
                         f"dimension(s), got shape {tuple(x.shape)} of {x.dtype}")
    return x


def targets(target, n, device, op):
    """A class index per example as an int64 tensor of shape (n,); an int applies to all."""
    if isinstance(target, Tensor):
        t = target.detach().to(device=device).long().reshape(-1)
    elif isinstance(target, int):
        t = tensor([target] * n, device=device)
    else:
        t = tensor(list(target), device=device).long().reshape(-1)
    if t.shape[0] != n:
        raise ValueError(f"{op}: target must hold one class index per example ({n}), got "
                         f"{t.shape[0]}")
    return t


def class_scores(out, target, op):
    """out[i, target[i]] for a (N, classes) output."""
    if out.ndim != 2:
        raise ValueError(f"{op}: the model must return scores of shape (N, classes), got "
                         f"{tuple(out.shape)}")
    return out.gather(1, target.view(-1, 1)).reshape(-1)


def input_grad(model, x, objective):
    """d objective(model, x) / dx for a fresh copy of x; the objective returns a scalar."""
    x = x.detach().requires_grad_()
    value = objective(model, x)
    (g,) = grad(value, x)
    return g
