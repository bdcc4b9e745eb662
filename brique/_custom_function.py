"""PyTorch-style custom autograd Functions: a subclass of brique.autograd.Function whose
`forward(ctx, *args)` and `backward(ctx, *grads)` are static methods (or whose forward takes no
ctx and a `setup_context(ctx, inputs, output)` fills it), called as `MyFn.apply(*args)`.

forward runs with recording off, on the Tensors themselves; when an input needs a gradient, the
outputs get one node (`_CustomNode`) whose backward calls the user's. Several outputs are packed
into one flat tensor that the node produces, each output a reshaped slice of it, because a
brique node has one output: the engine then hands the node every output's gradient at once
(zeros for an unused one, as PyTorch's materialized gradients)."""
from __future__ import annotations

import inspect

from . import autograd, backend
from .tensor import Tensor


class FunctionCtx:
    """The `ctx` of a custom Function: what forward saves for backward."""

    def __init__(self, needs_input_grad=()):
        self.needs_input_grad = tuple(needs_input_grad)
        self._saved, self._versions, self._non_differentiable = (), (), set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._versions = tuple(t._vc[0] if isinstance(t, Tensor) else 0 for t in tensors)

    @property
    def saved_tensors(self):
        for t, v in zip(self._saved, self._versions):
            if isinstance(t, Tensor) and t._vc[0] != v:
                raise RuntimeError(f"saved_tensors: a tensor of shape {tuple(t.shape)} saved for "
                                   "backward has been modified by an in-place operation since")
        return self._saved

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        """Inputs forward changed in place: nothing to do here, where forward records no graph."""

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


def is_ctx_style(cls):
    """Is cls a PyTorch-style custom Function (static forward, or a setup_context)?"""
    return (isinstance(inspect.getattr_static(cls, "forward", None), staticmethod)
            or "setup_context" in vars(cls))


class _CustomNode(autograd.Function):
    """The node of a custom Function's outputs: its backward calls the user's."""

    def backward(self, g):
        ctx, layout = self.ctx, self.layout
        if layout is None:
            grads = (g,)
        else:  # the packed outputs: one gradient per output, None for non-differentiable ones
            grads = tuple(None if shape is None else g[start:start + size].reshape(shape)
                          for start, size, shape in layout)
        if not ctx.materialize_grads:
            grads = tuple(None if x is not None and not x._data.any() else x for x in grads)
        result = self.cls.backward(ctx, *grads)
        result = result if isinstance(result, tuple) else (result,)
        n = len(self.inputs)
        if len(result) < n or any(r is not None for r in result[n:]):
            raise RuntimeError(f"{self.cls.__name__}.backward returned {len(result)} gradients; "
                               f"expected one per input of forward ({n}, None for those that "
                               "need none)")
        return tuple(r if isinstance(x, Tensor) else None for r, x in zip(result, self.inputs))

    @property
    def name(self):
        return f"{self.cls.__name__}Backward"


def apply(cls, args, kwargs):
    needs = [isinstance(a, Tensor) and a.requires_grad for a in args]
    ctx = FunctionCtx(needs)
    with autograd.no_grad():
        if "setup_context" in vars(cls):
            out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args, **kwargs)
    if not (autograd.is_grad_enabled() and any(needs)):
        return out
    single = not isinstance(out, tuple)
    outs = [out] if single else list(out)
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    # an output that is an input itself (forward returned x as is) becomes a new tensor
    outs = [Tensor._make(o._data) if isinstance(o, Tensor) and id(o) in inputs else o
            for o in outs]
    live = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.dtype.kind in "fc"
            and id(o) not in ctx._non_differentiable]
    if not live:  # nothing that carries a gradient
        return outs[0] if single else tuple(outs)
    node = _CustomNode()
    node.cls, node.ctx, node.inputs = cls, ctx, list(args)
    node.versions = [a._vc[0] if isinstance(a, Tensor) else 0 for a in args]
    if len(live) == 1 and single:
        node.layout, head = None, outs[0]
    else:
        xp = backend.get_array_module(outs[live[0]]._data)
        dtype = backend.result_type(*(outs[i]._data for i in live))
        layout, parts, start = [], [], 0
        for i, o in enumerate(outs):
            if i in live:
                layout.append((start, o.numel(), tuple(o.shape)))
                parts.append(o._data.reshape(-1).astype(dtype, copy=False))
                start += o.numel()
            else:
                layout.append((0, 0, None))
        node.layout = layout
        head = Tensor._make(xp.concatenate(parts))
    head._ctx, head.requires_grad = node, True
    node._out = autograd.weakref.ref(head)
    if node.layout is None:
        return head
    for i in live:  # each output a view of the packed tensor, in the graph
        start, size, shape = node.layout[i]
        outs[i] = head[start:start + size].reshape(shape).to(outs[i].dtype)
    return outs[0] if single else tuple(outs)
