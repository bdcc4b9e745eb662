"""Reverse-mode automatic differentiation: the Function node, grad mode, and the backward pass.

A primitive subclasses `Function` and writes `forward` on raw arrays and `backward` on Tensors,
side by side. Because `backward` is written with differentiable Tensor ops, running it with grad
mode on (`create_graph=True`) records a graph of the backward pass itself: higher-order
derivatives come for free.
"""
from __future__ import annotations

import functools
import threading
import weakref

from . import _inplace, _malloc, backend


class _GradState(threading.local):
    """Grad mode is per thread, as in PyTorch: one thread evaluating under no_grad must not
    stop another from recording its graph (brique.search runs trials in threads)."""
    enabled = True
    anomaly = False  # detect_anomaly: backward checks each node's gradients for NaN


_state = _GradState()


def is_grad_enabled():
    return _state.enabled


class _GradMode:
    """Context manager and decorator that sets grad mode for a block."""

    def __init__(self, mode):
        self.mode = bool(mode)

    def __enter__(self):
        self.prev = _state.enabled
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _GradMode(mode):
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """`with brique.no_grad():` or `@brique.no_grad()`: compute without recording a graph."""

    def __init__(self):
        super().__init__(False)


class enable_grad(_GradMode):
    """Turn recording back on inside a `no_grad` block."""

    def __init__(self):
        super().__init__(True)


class inference_mode(_GradMode):
    """PyTorch's faster no_grad; here the same thing: no graph is recorded."""

    def __init__(self, mode=True):
        super().__init__(not mode)


class set_grad_enabled(_GradMode):
    """Like PyTorch's: takes effect when called, so it also works as a plain function call."""

    def __init__(self, mode):
        super().__init__(mode)
        self.prev, _state.enabled = _state.enabled, self.mode

    def __enter__(self):
        _state.enabled = self.mode
        return self

    def __call__(self, fn):
        # As a decorator it must not leave the mode changed past the decoration itself.
        _state.enabled = self.prev
        return super().__call__(fn)


class set_detect_anomaly:
    """Anomaly detection on (True) or off, from the call on, or inside a `with` block: backward
    raises, naming the node, as soon as a node's gradient holds a NaN."""

    def __init__(self, mode, check_nan=True):
        self.prev, _state.anomaly = _state.anomaly, bool(mode) and check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.anomaly = self.prev


class detect_anomaly(set_detect_anomaly):
    def __init__(self, check_nan=True):
        super().__init__(True, check_nan)


def is_anomaly_enabled():
    return _state.anomaly


def _check_nan(ctx, grads):
    for i, g in enumerate(grads):
        if g is not None and g.dtype.kind in "fc" and bool(
                backend.get_array_module(g._data).isnan(g._data).any()):
            raise RuntimeError(f"Function '{ctx.name}' returned nan values in its {i}th output "
                               "(detect_anomaly)")


# brique.onnx sets this to a recorder of every primitive call while it traces a forward pass.
_tracer = None


class Function:
    """A node of the graph. Subclasses define `forward(*arrays, **params) -> array` and
    `backward(grad: Tensor) -> Tensor | tuple`, one gradient per positional input (None where an
    input is not a Tensor or gets no gradient). Gradients may keep the broadcast shape: the engine
    sums them back to each input's shape.

    Inside backward, `self.saved` gives the Tensor inputs (checked against in-place changes) and
    `self.saved_output` the output Tensor.
    """

    differentiable = True  # False for ops whose outputs never carry a gradient
    out_version = 0  # the output's version at forward (nonzero only for a view of a changed input)
    _ctx_style = False  # a PyTorch-style custom Function (_custom_function.py)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        from ._custom_function import is_ctx_style
        cls._ctx_style = is_ctx_style(cls)

    def view_index(self):
        """For an op whose output is a view input[index] (basic indexing): the index, which lets
        an in-place op on the view be recorded as a write into the input. None otherwise."""
        return None

    @classmethod
    def apply(cls, *inputs, **params):
        """Run forward on the inputs' arrays; record the node when a gradient is needed."""
        if cls._ctx_style:
            from . import _custom_function
            return _custom_function.apply(cls, inputs, params)
        fn = cls()
        arrays, kind, requires = [], None, False
        for t in inputs:
            if isinstance(t, Tensor):
                a = t._data
                if kind is None:
                    kind = type(a)
                elif type(a) is not kind:  # rare: a GPU array, or an ndarray subclass (memmap)
                    _check_devices(cls, inputs)
                requires = requires or t.requires_grad
                arrays.append(a)
            else:
                arrays.append(t)
        try:
            out = fn.forward(*arrays, **params)
        except (ValueError, TypeError, IndexError) as e:
            # Name the op and the shapes; `from e` keeps where inside forward it failed.
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays if hasattr(a, "shape"))
            raise type(e)(f"{cls.__name__.lower()}: {e} (input shapes: {shapes})") from e
        except MemoryError as e:  # PyTorch's "can't allocate memory" is a RuntimeError too
            raise RuntimeError(f"{cls.__name__.lower()}: cannot allocate memory for the "
                               f"result: {e}") from e
        result = Tensor._make(out)
        if _tracer is not None:
            _tracer.record(cls, inputs, params, result)
        base = getattr(out, "base", None)
        if base is not None or (arrays and out is arrays[0]):  # a view, or the input itself
            _share_version(result, out, base, inputs, fn)
        if requires and _state.enabled and cls.differentiable:
            fn.inputs = inputs
            fn.versions = [t._vc[0] if isinstance(t, Tensor) else 0 for t in inputs]
            fn._out = weakref.ref(result)
            if result._vc[0]:
                fn.out_version = result._vc[0]
            result._ctx = fn
            result.requires_grad = True
        return result

    @property
    def saved(self):
        """The inputs, as Tensors, after checking none was modified in place since forward."""
        return self.saved_only(_all_inputs)

    def saved_product(self):
        """`saved` for a product of a and b (a * b, a @ b): a's gradient reads only b and b's
        only a, so an input changed in place since is an error only if the other needs a
        gradient (`x[:, 0] = x[:, 0] * 2` works, as in PyTorch)."""
        return self.saved_only(_product_reads)

    def saved_only(self, needed):
        """The inputs, as Tensors, checked against in-place changes since forward at the
        positions `needed(inputs)` gives (a backward may not read the others), asked only once
        an input has changed; an input changed by an in-place op recorded in the graph is the
        tensor it was (_inplace.as_of)."""
        inputs = self.inputs
        if inputs is None:
            raise RuntimeError(
                f"{type(self).__name__}: trying to backward through the graph a second time; "
                "its saved values were freed. Pass retain_graph=True to the first backward().")
        for t, v in zip(inputs, self.versions):
            if getattr(t, "_version", v) != v:
                break
        else:
            return inputs  # the common case: nothing changed
        if any(getattr(t, "_history", None) is not None for t in inputs):
            inputs = [_inplace.as_of(t, v) for t, v in zip(inputs, self.versions)]
        for i in needed(inputs):
            t, v = inputs[i], self.versions[i]
            if getattr(t, "_version", v) != v:
                raise RuntimeError(
                    f"{type(self).__name__}: one of the tensors needed for gradient computation "
                    f"(shape {tuple(t.shape)}) has been modified by an in-place operation: it "
                    f"is at version {t._version}, expected version {v}. Use an out-of-place op "
                    "instead.")
        return inputs

    @property
    def saved_output(self):
        out = self._out()
        if out is None or out._vc[0] != self.out_version:
            raise RuntimeError(f"{type(self).__name__}: its output, needed for gradient "
                               "computation, has been modified by an in-place operation")
        return out

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"

    name = property(lambda self: f"{type(self).__name__}Backward")


def _all_inputs(inputs):
    return range(len(inputs))


def _product_reads(inputs):
    a, b = inputs
    return [i for i, other in ((1, a), (0, b)) if getattr(other, "requires_grad", False)]


def _share_version(result, out, base, inputs, fn):
    """A view (reshape, transpose, basic indexing) shares its input's version counter, as in
    PyTorch: changing it in place changes the input, and a backward that saved the input must
    see that. It also keeps (the input, fn.view_index()) for in-place ops on it
    (Tensor._record)."""
    for t in inputs:
        if isinstance(t, Tensor):
            data = t._data
            if out is data or (base is not None and (base is data or base is data.base)):
                result._vc, result._view_of = t._vc, (t, fn.view_index())
                return


def _check_devices(cls, inputs):
    devs = sorted({str(t.device) for t in inputs if isinstance(t, Tensor)})
    if len(devs) > 1:
        _device_error(cls, inputs)


def _device_error(cls, inputs):
    devs = sorted({str(t.device) for t in inputs if isinstance(t, Tensor)})
    raise RuntimeError(f"{cls.__name__.lower()}: expected all tensors on the same device, "
                       f"found tensors on {' and '.join(devs)}")


def _topo_order(roots):
    """Tensors reachable from roots that need a gradient, children before parents.
    Iterative, so a graph of any depth backpropagates without touching the recursion limit."""
    order, seen, routing = [], set(), _inplace.recorded
    stack = [(r, False) for r in roots]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        ctx = t._ctx
        if ctx is not None:
            if ctx.inputs is None:
                ctx.saved  # raises the "backward a second time" error
            for p in _inplace.routed(ctx) if routing else ctx.inputs:
                if getattr(p, "requires_grad", False) and id(p) not in seen:
                    stack.append((p, False))
    order.reverse()
    return order


def _own(g, claimed):
    """A gradient stored in `.grad` must own its memory: the backward of add or reshape hands
    the same buffer to several inputs, and `p.grad.mul_()` must not change another's gradient."""
    data = g._data
    root = data
    while getattr(root, "base", None) is not None:
        root = root.base
    # CuPy arrays have no `writeable` flag: a zero stride marks their broadcast views.
    writeable = getattr(data.flags, "writeable", 0 not in data.strides)
    if not writeable or id(root) in claimed:
        data = data.copy()
        root = data
    claimed.add(id(root))
    return data


# Hooks that run once a leaf's `.grad` holds its final value for this backward, keyed by the
# leaf's id (a finalizer drops them with the leaf; Tensor's elementwise `==` rules out a
# WeakKeyDictionary): `Tensor.register_post_accumulate_grad_hook`. DistributedDataParallel starts reducing a bucket of
# gradients from them while the rest of backward runs.
_post_accumulate_hooks = {}
# Callbacks queued during a backward run once it ends (PyTorch's engine `queue_callback`): DDP
# waits there for its last reductions.
_engine = threading.local()


def queue_callback(callback):
    """Run `callback()` when the backward pass now running finishes (from a hook)."""
    queue = getattr(_engine, "callbacks", None)
    if queue is None:
        raise RuntimeError("queue_callback: no backward pass is running in this thread")
    queue.append(callback)


def run_backward(roots, grads, retain_graph=False, create_graph=False, inputs=None,
                 allow_unused=False):
    """Backpropagate `grads` from `roots`. With `inputs` given, return their gradients instead of
    accumulating into `.grad` (that is `brique.grad`)."""
    if not _malloc.done:
        _malloc.keep_freed_memory()
    outer = getattr(_engine, "callbacks", None) is None
    if outer:
        _engine.callbacks = []
    try:
        result = _run_backward(roots, grads, retain_graph, create_graph, inputs, allow_unused)
        while outer and _engine.callbacks:
            _engine.callbacks.pop(0)()
    finally:
        if outer:
            _engine.callbacks = None
    return result


def _run_backward(roots, grads, retain_graph, create_graph, inputs, allow_unused):
    order = _topo_order(roots)
    routing, anomaly = _inplace.recorded, _state.anomaly  # (read once: checked per node)
    pending = {}
    for r, g in zip(roots, grads):
        pending[id(r)] = pending[id(r)] + g if id(r) in pending else g
    wanted = None if inputs is None else {id(t): None for t in inputs}
    claimed = set()
    with _GradMode(create_graph):
        for t in order:
            g = pending.pop(id(t), None)
            if g is None:
                continue
            if t._hooks:  # hooks see (and may replace) the gradient before anyone uses it
                for hook in t._hooks:
                    new = hook(g)  # not `hook(g) or g`: a Tensor's truth is ambiguous
                    if new is not None:
                        g = new
            if wanted is not None and id(t) in wanted:
                wanted[id(t)] = g
            ctx = t._ctx
            if wanted is None and (ctx is None or t._retains_grad):
                _accumulate(t, g, create_graph, claimed)
            if ctx is None:
                continue
            in_grads = ctx.backward(g)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            if anomaly:
                _check_nan(ctx, in_grads)
            for p, pg in zip(_inplace.routed(ctx) if routing else ctx.inputs, in_grads):
                if pg is None or not getattr(p, "requires_grad", False):
                    continue
                if pg.shape != p.shape:
                    pg = pg.sum_to_size(p.shape)
                if pg.dtype != p.dtype:  # float32 x times a float64 constant: x.grad is float32
                    pg = pg.to(p.dtype)
                key = id(p)
                pending[key] = pending[key] + pg if key in pending else pg
            if not retain_graph:
                ctx.inputs = None
    if wanted is None:
        return None
    result = []
    for t in inputs:
        g = wanted[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError("grad: one of the differentiated tensors (shape "
                               f"{tuple(t.shape)}) was not used in the graph; pass "
                               "allow_unused=True if this is expected")
        result.append(g if g is None or create_graph else g.detach())
    return tuple(result)


def _accumulate(t, g, create_graph, claimed):
    if t.grad is None:
        # Under create_graph a gradient that is itself in a graph is kept as it is; any other
        # gets its own memory.
        t.grad = g if create_graph and g.requires_grad else Tensor._make(_own(g, claimed))
    elif create_graph:
        t.grad = t.grad + g
    else:
        t.grad = Tensor._make(t.grad._data + g._data)
    if _post_accumulate_hooks and t._ctx is None:
        for hook in _post_accumulate_hooks.get(id(t), ()):
            hook(t)


def _as_grad_list(outputs, grad_outputs, create_graph):
    if isinstance(outputs, Tensor):  # one output: its gradient may be a Tensor, list or array
        outputs, grad_outputs = [outputs], [grad_outputs]
    else:
        outputs = list(outputs)
        if grad_outputs is None:
            grad_outputs = [None] * len(outputs)
        elif isinstance(grad_outputs, Tensor):
            grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad_outputs has {len(grad_outputs)} tensors but there are "
                           f"{len(outputs)} outputs")
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn: nothing to differentiate (was it computed under no_grad, "
                               "or from tensors without requires_grad=True?)")
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; this "
                                   f"output has shape {tuple(out.shape)}: pass gradient= with "
                                   "that shape")
            g = Tensor._make(backend.get_array_module(out._data).ones_like(out._data))
        elif isinstance(g, Tensor):
            # The caller keeps its tensor: a leaf's .grad must not alias it.
            g = g if create_graph and g.requires_grad else Tensor._make(g._data.copy())
        else:
            g = Tensor._make(backend.asarray(g, out.dtype, out.device).copy())
        if tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(f"backward: gradient has shape {tuple(g.shape)} but the output "
                               f"has shape {tuple(out.shape)}")
        grads.append(g)
    return outputs, grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into `.grad`: of the graph's leaves, or, with
    `inputs`, of those tensors only (PyTorch's `torch.autograd.backward`)."""
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not inputs:
            raise ValueError("backward: `inputs` cannot be empty")
        got = grad(tensors, inputs, grad_tensors, retain_graph, create_graph, allow_unused=True)
        claimed = set()
        for t, g in zip(inputs, got):
            if g is not None:
                _accumulate(t, g, create_graph, claimed)
        return
    outputs, grads = _as_grad_list(tensors, grad_tensors, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(outputs, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Gradients of `outputs` with respect to `inputs`, returned as a tuple (PyTorch's
    `torch.autograd.grad`); `.grad` attributes are left untouched. An input the outputs do not
    depend on gets None with allow_unused, zeros with materialize_grads, else an error."""
    if materialize_grads:
        got = grad(outputs, inputs, grad_outputs, retain_graph, create_graph, True)
        single = isinstance(inputs, Tensor)
        pairs = zip([inputs] if single else inputs, got)
        return tuple(g if g is not None else Tensor._make(
            backend.get_array_module(t._data).zeros_like(t._data)) for t, g in pairs)
    allow_unused = bool(allow_unused)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError(f"grad: an input of shape {tuple(t.shape)} does not require grad")
    outputs, grads = _as_grad_list(outputs, grad_outputs, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    return run_backward(outputs, grads, retain_graph, create_graph, inputs, allow_unused)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """PyTorch's pre-0.4 wrapper, kept by old course code (`from torch.autograd import
    Variable`): `Variable(t, requires_grad=True)` is a tensor sharing t's storage, and every
    tensor is an instance of Variable."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable: data must be a Tensor, got {type(data).__name__}")
        out = data.detach()
        return out.requires_grad_(True) if requires_grad else out


from .tensor import Tensor  # noqa: E402  (tensor.py imports this module first)


def zero_grad(params, set_to_none=True):
    """Forget the gradients of `params` (Module.zero_grad and Optimizer.zero_grad): set `.grad`
    to None (default), or detach it in place and fill it with zeros, as PyTorch does."""
    for p in params:
        g = p.grad
        if g is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            g._ctx, g.requires_grad = None, False
            g._data[...] = 0
            g._version += 1
