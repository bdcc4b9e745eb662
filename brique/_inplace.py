"""In-place ops of Tensor (add_, mul_, x[i] = v, ...; a mixin Tensor inherits) and how they are
recorded in a graph, as PyTorch records them.

Outside a graph an in-place op writes into the tensor's array. In a graph (the tensor or an
operand requires grad) the op is computed out of place from `old`, a tensor that stands for
this one before the op, and the tensor takes the new values and the new place in the graph
(`record`). Nodes that used the tensor before keep reading `old`: the engine routes them there
by the version they saw (`as_of`, `routed`). `x[i] = v` is an IndexPut node written in place,
so `outputs[t] = h` in a loop over time steps stays linear; an op on a basic-indexing view is a
write into its base that the view then reads again (PyTorch's CopySlices)."""
from __future__ import annotations

import weakref

from . import autograd, backend

# Set once an in-place op has been recorded in a graph: until then no input needs routing, and
# the engine skips the check.
recorded = False


_Tensor = None


def _tensor():
    global _Tensor
    if _Tensor is None:
        from .tensor import Tensor  # tensor.py imports this module first
        _Tensor = Tensor
    return _Tensor


def routed(ctx):
    """The node's inputs as it saw them (as_of)."""
    if not recorded:
        return ctx.inputs
    return [as_of(t, v) for t, v in zip(ctx.inputs, ctx.versions)]


def as_of(t, version):
    """`t` as a node that used it at `version` saw it: if an in-place op recorded in the graph
    has changed it since, the tensor that stands for it before that op."""
    history = getattr(t, "_history", None)
    if history is None or t._vc[0] == version:
        return t
    later = [v for v in history if v >= version]
    return history[min(later)] if later else t


class InPlaceOps:
    """The in-place methods of Tensor."""

    __slots__ = ()

    def _inplace(self, op, *operands, graph=None, copy=True):
        """Check that an in-place op is allowed, count it, and return the array to write to; or,
        when the op must be recorded in the graph (this tensor or an operand requires grad),
        record it through `graph` (see _record) and return None."""
        if autograd.is_grad_enabled() and (
                self.requires_grad or any(getattr(t, "requires_grad", False) for t in operands)):
            if self.requires_grad and self._ctx is None:
                raise RuntimeError(f"{op}: a leaf tensor that requires grad is being used in an "
                                   "in-place operation; wrap it in `with brique.no_grad():` or "
                                   "use the out-of-place form")
            if graph is None:  # going on would silently drop the gradient
                raise RuntimeError(f"{op}: in-place {op} records no graph, and this tensor or "
                                   "an operand requires grad; use the out-of-place form")
            self._record(op, graph, copy)
            return None
        self._vc[0] += 1
        return self._data

    def _record(self, op, graph, copy):  # see the module's docstring
        """An in-place op in the graph, as PyTorch records one: `graph(old)` computes the new
        value out of place from `old`, which stands for this tensor before the op (its data a
        copy when `copy`); this tensor then takes the new values and the new place in the
        graph. Nodes that used this tensor before the op keep reading `old`: the engine routes
        them there by the version they saw (as_of)."""
        base, index = getattr(self, "_view_of", None) or (None, None)
        if base is not None and index is None:
            raise RuntimeError(f"{op}: an in-place op on this view of another tensor (a reshape "
                               "or a transpose) cannot be recorded in the graph; apply it to "
                               "the other tensor, or use the out-of-place form")
        global recorded
        recorded = True
        version = self._vc[0]
        old = _tensor()._make(self._data.copy() if copy or base is not None else self._data)
        old._ctx, old.requires_grad = self._ctx, self.requires_grad
        old._vc = [version] if copy or base is not None else self._vc  # else overwritten below
        new = graph(old)
        if base is not None:  # a view base[index]: the write goes to base, this reads it again
            from .ops.indexing import GetItem
            if base.requires_grad and base._ctx is None:
                raise RuntimeError(f"{op}: a view of a leaf tensor that requires grad is being "
                                   "used in an in-place operation; wrap it in `with "
                                   "brique.no_grad():` or use the out-of-place form")
            base[index] = new
            new = GetItem.apply(base, index=index, advanced=False)
        elif new._data is not self._data:
            if tuple(new.shape) != tuple(self.shape):
                raise RuntimeError(f"{op}: the result's shape {tuple(new.shape)} does not match "
                                   f"the tensor's {tuple(self.shape)}")
            self._data[...] = new._data
        if base is None:
            self._vc[0] += 1  # (base's write counted it for a view)
        if getattr(self, "_history", None) is None:
            self._history = {}
        self._history[version] = old
        self._ctx, self.requires_grad = new._ctx, new.requires_grad
        if new._ctx is not None:  # the node's output is this tensor now
            new._ctx._out, new._ctx.out_version = weakref.ref(self), self._vc[0]

    @staticmethod
    def _value(other):
        return other._data if isinstance(other, _tensor()) else other

    # Each in-place method writes into the array directly, or, in a graph, records the
    # out-of-place form it gives as `graph` (see _inplace).
    def add_(self, other, alpha=1):
        data = self._inplace("add_", other, graph=lambda old: old.add(other, alpha=alpha))
        if data is not None:
            other = self._value(other)
            data += other if alpha == 1 else other * alpha
        return self

    def sub_(self, other, alpha=1):
        if (self.dtype is backend.bool_ or getattr(other, "dtype", None) is backend.bool_
                or other.__class__ is bool):  # `-` with a bool is refused, as out of place
            from .ops.elementwise import check_bool_sub
            check_bool_sub(self, other)
        return self.add_(other, -alpha)

    def mul_(self, other):
        data = self._inplace("mul_", other, graph=lambda old: old * other)
        if data is not None:
            data *= self._value(other)
        return self

    def div_(self, other):
        data = self._inplace("div_", other, graph=lambda old: old / other)
        if data is not None:
            data /= self._value(other)
        return self

    def pow_(self, exponent):
        data = self._inplace("pow_", exponent, graph=lambda old: old ** exponent)
        if data is not None:
            data **= self._value(exponent)
        return self

    def _fused_(self, op, a, b, value):
        """addcmul_/addcdiv_ where the operands' dtypes differ from this float tensor's: the
        out-of-place op's promotion and checks, then PyTorch's cast back (never downwards
        in kind: float into int is refused)."""
        from .ops import structure_products as SP

        def computed(old):
            out = getattr(SP, op[:-1])(old, a, b, value=value)
            rank = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
            if rank[out.dtype.kind] > rank[old.dtype.kind]:
                raise RuntimeError(f"{op}: result type {out.dtype} can't be cast to the "
                                   f"desired output type {old.dtype}")
            if tuple(out.shape) != tuple(old.shape):
                raise RuntimeError(f"{op}: output with shape {list(old.shape)} doesn't match "
                                   f"the broadcast shape {list(out.shape)}")
            return out.to(old.dtype)
        data = self._inplace(op, a, b, graph=computed)
        if data is not None:
            data[...] = computed(self.detach())._data
        return self

    def addcmul_(self, a, b, value=1):
        if not (self.dtype.kind == "f" and a.dtype == self.dtype and b.dtype == self.dtype):
            return self._fused_("addcmul_", a, b, value)
        data = self._inplace("addcmul_", a, b, graph=lambda old: old + a * b * value)
        if data is not None:
            data += self._value(a) * self._value(b) * value
        return self

    def addcdiv_(self, a, b, value=1):
        if not (self.dtype.kind == "f" and a.dtype == self.dtype and b.dtype == self.dtype):
            return self._fused_("addcdiv_", a, b, value)
        data = self._inplace("addcdiv_", a, b, graph=lambda old: old + a / b * value)
        if data is not None:
            data += self._value(a) / self._value(b) * value
        return self

    def lerp_(self, end, weight):
        data = self._inplace("lerp_", end, weight,
                             graph=lambda old: old + (end - old) * weight)
        if data is not None:
            data += (self._value(end) - data) * self._value(weight)
        return self

    def sqrt_(self):
        data = self._inplace("sqrt_", graph=lambda old: old.sqrt())
        if data is not None:
            backend.get_array_module(data).sqrt(data, out=data)
        return self

    def clamp_(self, min=None, max=None):
        data = self._inplace("clamp_", min, max, graph=lambda old: old.clamp(min, max))
        if data is not None:
            backend.get_array_module(data).clip(data, self._value(min), self._value(max),
                                                out=data)
        return self

    def zero_(self):
        return self.fill_(0)

    def _filled(self, value):
        """A tensor of this one's shape holding value (broadcast), in the graph if value is."""
        zeros = _tensor()._make(backend.get_array_module(self._data).zeros_like(self._data))
        return zeros + value

    def fill_(self, value):
        data = self._inplace("fill_", value, graph=lambda old: self._filled(value))
        if data is not None:
            data[...] = self._value(value)
        return self

    def copy_(self, src):
        data = self._inplace("copy_", src, graph=lambda old: self._filled(
            src.to(self.device) if isinstance(src, _tensor()) else src))
        if data is not None:
            src = self._value(src)
            data[...] = backend.to_device(src, self.device) if backend.is_array(src) else src
        return self

    def normal_(self, mean=0.0, std=1.0, generator=None):
        data = self._inplace("normal_")
        data[...] = backend.rng(self.device, generator).normal(mean, std, size=data.shape)
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        data = self._inplace("uniform_")
        data[...] = backend.rng(self.device, generator).uniform(a, b, size=data.shape)
        return self

    def __setitem__(self, index, value):
        from .ops.indexing import IndexPut, convert_index
        index, advanced = convert_index(index, backend.get_array_module(self._data))
        # In a graph the write is an IndexPut node, done in place: no copy of the tensor, so
        # `outputs[t] = h` in a loop over time steps stays linear.
        data = self._inplace("__setitem__", value, copy=False, graph=lambda old: IndexPut.apply(
            old, value, index=index, advanced=advanced))
        if data is not None:
            data[index] = self._value(value)

    def _augmented(self, op, other, inplace):
        # `x += y` is in place for buffers and under no_grad; when x is in a graph, or y needs a
        # gradient (`h = zeros(); h += W @ x`), it rebinds x to a new tensor, which is what course
        # code that writes `h += b` means. A leaf that requires grad still raises, as in PyTorch.
        if autograd.is_grad_enabled():
            in_graph = self.requires_grad and self._ctx is not None
            feeds_graph = not self.requires_grad and getattr(other, "requires_grad", False)
            if in_graph or feeds_graph:
                return op(self, other)
        return inplace(self, other)

    __iadd__ = lambda self, o: self._augmented(type(self).__add__, o, type(self).add_)  # noqa
    __isub__ = lambda self, o: self._augmented(type(self).__sub__, o, type(self).sub_)  # noqa
    __imul__ = lambda self, o: self._augmented(type(self).__mul__, o, type(self).mul_)  # noqa
    __itruediv__ = lambda self, o: self._augmented(type(self).__truediv__, o,  # noqa: E731
                                                    type(self).div_)
