"""Activation checkpointing, as `torch.utils.checkpoint`: run a piece of the network without
keeping its activations, and run it again during backward to get its gradients (memory for
time)."""
from __future__ import annotations

from .. import autograd, backend
from ..tensor import Tensor


class _Checkpoint(autograd.Function):
    # forward runs fn with recording off (the custom-Function protocol); backward runs it again
    # with recording on, from the same inputs and the same random state (dropout draws the same
    # mask), and backpropagates through that: parameters inside fn get their .grad there.
    @staticmethod
    def forward(ctx, fn, preserve_rng_state, *args):
        ctx.fn, ctx.args = fn, args
        ctx.rng = backend.get_rng_state() if preserve_rng_state else None
        ctx.save_for_backward(*(a for a in args if isinstance(a, Tensor)))
        return fn(*args)

    @staticmethod
    def backward(ctx, *grads):
        ctx.saved_tensors  # raises if an input changed in place since forward
        args = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
                for a in ctx.args]
        state = backend.get_rng_state()
        if ctx.rng is not None:
            backend.set_rng_state(ctx.rng)
        try:
            with autograd.enable_grad():
                out = ctx.fn(*args)
        finally:
            backend.set_rng_state(state)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if pairs:
            autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(a.grad if isinstance(a, Tensor) else None for a in args)


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, **kwargs):
    """function(*args), its activations not kept: computed again in backward."""
    if kwargs:
        raise ValueError(f"checkpoint: keyword arguments are not passed on to the function, got "
                         f"{sorted(kwargs)}")
    return _Checkpoint.apply(function, preserve_rng_state, *args)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """A Sequential (or list of modules) run in `segments` checkpointed pieces; the last piece
    runs normally, as PyTorch's."""
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(1, len(functions) // segments)

    def run(start, end):
        def piece(x):
            for f in functions[start:end]:
                x = f(x)
            return x
        return piece

    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run(start, end), input, **kwargs)
    return run(end, len(functions))(input)
