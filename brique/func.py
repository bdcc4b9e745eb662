"""`brique.func`, PyTorch's torch.func: function transforms on brique's reverse-mode autograd.

* `grad` / `grad_and_value`: the gradient of a function returning a scalar Tensor, with
  respect to the arguments named by `argnums`. Computed with a graph (`create_graph`) whenever
  an input is itself in one, so the transforms nest (`grad(grad(f))`, `vmap(grad(f))`).
* `vmap`: maps a function over a batch dimension. brique has no batching rule per op, so the
  function runs once per batch element on `select`ed slices and the results are stacked:
  the values and gradients are those of torch.func.vmap, the speed that of a Python loop.
* `functional_call`: calls a module with other tensors in place of its parameters and
  buffers (the per-sample-gradient recipe: `vmap(grad(loss of functional_call))`).
* `jacrev` / `jacfwd` / `hessian`, `vjp` / `jvp`: on brique.autograd.functional (forward mode
  is emulated by reverse mode, as there; the values are the same).

Arguments may be pytrees of tuples, lists and dicts of Tensors where torch.func allows them.
"""
from __future__ import annotations

import contextlib

from . import _autograd_functional as AF, autograd
from .ops.movement import stack
from .tensor import Tensor

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev",
           "jvp", "vjp", "vmap"]


# ----------------------------------------------------------------- pytrees
def _leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [x for t in tree for x in _leaves(t)]
    if isinstance(tree, dict):
        return [x for t in tree.values() for x in _leaves(t)]
    return [tree]


def _map(fn, tree):
    if isinstance(tree, (tuple, list)):
        return type(tree)(_map(fn, t) for t in tree)
    if isinstance(tree, dict):
        return {k: _map(fn, v) for k, v in tree.items()}
    return fn(tree)


# ----------------------------------------------------------------- functional_call
@contextlib.contextmanager
def _swapped(module, tensors, strict):
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    unknown = sorted(set(tensors) - set(named))
    if unknown:
        raise ValueError(f"functional_call: unexpected key(s) {unknown}; the module has "
                         f"{sorted(named)}")
    if strict and set(tensors) != set(named):
        raise RuntimeError(f"functional_call: strict, but missing key(s) "
                           f"{sorted(set(named) - set(tensors))}")
    saved = []
    for name, value in tensors.items():
        owner_name, _, attr = name.rpartition(".")
        owner = module.get_submodule(owner_name) if owner_name else module
        table = owner._parameters if attr in owner._parameters else owner._buffers
        saved.append((owner, table, attr, table[attr]))
        # A module reads its tensors from its __dict__ (nn/modules/module.py), and walks the
        # registry in parameters(): both get the stand-in.
        table[attr] = owner.__dict__[attr] = value
    try:
        yield
    finally:
        for owner, table, attr, original in reversed(saved):
            table[attr] = owner.__dict__[attr] = original


def functional_call(module, parameter_and_buffer_dicts, args=(), kwargs=None, *,
                    tie_weights=True, strict=False):
    """module(*args, **kwargs) with the named tensors (one dict, or a tuple of dicts) in place
    of the module's own parameters and buffers, which are back afterwards."""
    dicts = parameter_and_buffer_dicts
    tensors = {}
    for d in (dicts if isinstance(dicts, (tuple, list)) else (dicts,)):
        clash = set(tensors) & set(d)
        if clash:
            raise ValueError(f"functional_call: {sorted(clash)} appear in more than one dict")
        tensors.update(d)
    args = args if isinstance(args, tuple) else (args,)
    with _swapped(module, tensors, strict):
        return module(*args, **(kwargs or {}))


# ----------------------------------------------------------------- grad
def _track(x):
    """A differentiable stand-in for x: tied to x's graph when x is in one (nested
    transforms), else a fresh leaf."""
    if not isinstance(x, Tensor):
        raise TypeError(f"grad: the differentiated arguments must be Tensors, got "
                        f"{type(x).__name__}")
    return x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)


def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning (gradient, value) of func, a scalar-valued function; with has_aux
    func returns (value, aux) and the result is (gradient, (value, aux))."""
    several = isinstance(argnums, tuple)

    def wrapped(*args, **kwargs):
        nums = argnums if several else (argnums,)
        for n in nums:
            if not -len(args) <= n < len(args):
                raise RuntimeError(f"grad: got argnums={argnums} for a call with {len(args)} "
                                   "positional arguments")
        args = list(args)
        # Inside another transform (an input already in a graph), keep a graph of the result.
        nested = any(isinstance(x, Tensor) and x.requires_grad
                     for n in nums for x in _leaves(args[n]))
        for n in nums:
            args[n] = _map(_track, args[n])
        with autograd.enable_grad():
            out = func(*args, **kwargs)
        value, aux = out if has_aux else (out, None)
        if not isinstance(value, Tensor) or value.numel() != 1:
            raise RuntimeError("grad: the function must return a scalar Tensor (one element), "
                               f"got {getattr(value, 'shape', type(value).__name__)}")
        wrt = [_leaves(args[n]) for n in nums]
        flat = [t for group in wrt for t in group]
        grads = iter(autograd.grad(value, flat, create_graph=nested, allow_unused=True,
                                   materialize_grads=True))
        per_arg = [_map(lambda _: next(grads), args[n]) for n in nums]
        g = tuple(per_arg) if several else per_arg[0]
        if not nested:
            value = value.detach()
        return g, ((value, aux) if has_aux else value)
    return wrapped


def grad(func, argnums=0, has_aux=False):
    """The gradient of a scalar-valued func with respect to its argument(s) `argnums`; with
    has_aux, (gradient, aux)."""
    both = grad_and_value(func, argnums, has_aux)

    def wrapped(*args, **kwargs):
        g, value = both(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapped


# ----------------------------------------------------------------- vmap
def _batch_size(args, dims):
    sizes = {x.shape[d] for x, d in zip(_leaves(args), _leaves(dims))
             if d is not None and isinstance(x, Tensor)}
    if not sizes:
        raise ValueError("vmap: at least one argument must be mapped over a dimension "
                         "(in_dims all None)")
    if len(sizes) > 1:
        raise ValueError(f"vmap: expected all mapped tensors to have the same size in the "
                         f"mapped dimension, got sizes {sorted(sizes)}")
    return sizes.pop()


def _spread(in_dims, args):
    """in_dims given per argument (an int or None for all, or a tuple matching args), as a
    tree shaped like args."""
    if isinstance(in_dims, int) or in_dims is None:
        return _map(lambda _: in_dims, args)
    if len(in_dims) != len(args):
        raise ValueError(f"vmap: in_dims has {len(in_dims)} entries for {len(args)} arguments")
    return tuple(_map(lambda _, d=d: d, a) if isinstance(d, int) or d is None else d
                 for a, d in zip(args, in_dims))


def _zip_map(fn, tree, dims):
    if isinstance(tree, (tuple, list)):
        return type(tree)(_zip_map(fn, t, d) for t, d in zip(tree, dims))
    if isinstance(tree, dict):
        return {k: _zip_map(fn, v, dims[k]) for k, v in tree.items()}
    return fn(tree, dims)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """func mapped over dimension in_dims of its arguments (None: not mapped), its outputs
    stacked along out_dims."""
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"vmap: randomness must be 'error', 'different' or 'same', got "
                         f"{randomness!r}")

    def wrapped(*args, **kwargs):
        dims = _spread(in_dims, args)
        n = _batch_size(args, dims)

        def take(i):
            return _zip_map(lambda x, d: x if d is None or not isinstance(x, Tensor)
                            else x.select(d, i), args, dims)
        results = [func(*take(i), **kwargs) for i in range(n)]
        first = results[0]
        dims_out = _spread(out_dims, first) if isinstance(first, tuple) else \
            _map(lambda _: out_dims, first)
        columns = iter(zip(*[_leaves(r) for r in results]))

        def stacked(_, d):
            return stack([r if isinstance(r, Tensor) else Tensor._make(r)
                          for r in next(columns)], d)
        return _zip_map(stacked, first, dims_out)
    return wrapped


# ----------------------------------------------------------------- Jacobians
def _jacobian_fn(func, argnums, fn_name, has_aux=False):
    several = isinstance(argnums, tuple)

    def wrapped(*args):
        nums = argnums if several else (argnums,)
        aux = []

        def of(*chosen):
            full = list(args)
            for n, c in zip(nums, chosen):
                full[n] = c
            out = func(*full)
            if has_aux:
                out, extra = out
                aux.append(extra)
            return out
        inputs = tuple(args[n] for n in nums)
        # Inside another transform (hessian = jacfwd(jacrev)), keep a graph of the result.
        nested = any(t.requires_grad for t in inputs)
        jac = AF.jacobian(of, inputs, create_graph=nested)
        jac = jac if several else (jac[0] if isinstance(jac, tuple) else jac)
        return (jac, aux[0]) if has_aux else jac
    wrapped.__name__ = fn_name
    return wrapped


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The Jacobian of func with respect to argument(s) `argnums`, shape (*out, *in)."""
    return _jacobian_fn(func, argnums, "jacrev", has_aux)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """As jacrev: brique computes it in reverse mode, with the same values."""
    return _jacobian_fn(func, argnums, "jacfwd", has_aux)


def hessian(func, argnums=0):
    """The Hessian of a scalar-valued func with respect to argument `argnums`."""
    return jacfwd(jacrev(func, argnums), argnums)


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn) where vjp_fn(v) gives v^T J for each primal."""
    tracked = [_track(p) for p in primals]
    with autograd.enable_grad():
        out = func(*tracked)
    value, aux = out if has_aux else (out, None)

    def vjp_fn(v):
        outs = _leaves(value)
        vs = _leaves(v)
        return autograd.grad(outs, tracked, vs, retain_graph=True, allow_unused=True,
                             materialize_grads=True)
    detached = _map(lambda t: t.detach(), value)
    return (detached, vjp_fn, aux) if has_aux else (detached, vjp_fn)


def jvp(func, primals, tangents, *, has_aux=False):
    """(func(*primals), J tangents) — forward mode emulated by reverse mode."""
    aux = []

    def outputs(*args):
        out = func(*args)
        if has_aux:
            out, extra = out
            aux.append(extra)
        return out
    value, out = AF.jvp(outputs, tuple(primals), tuple(tangents))
    return (value, out, aux[0]) if has_aux else (value, out)
