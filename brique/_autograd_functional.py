"""`brique.autograd.functional`: Jacobians, Hessians and their products with vectors, for a
function of tensors (PyTorch's torch.autograd.functional).

Built on brique.autograd.grad: a Jacobian is one backward pass per output element (`vectorize`
is accepted and takes the same loop), `jvp` uses the double-backward trick (the vector-Jacobian
product is linear in its vector, so differentiating it with respect to that vector gives J v),
and `hvp`/`vhp` differentiate the gradient once more. With `create_graph=True` the results stay
in the graph, for higher derivatives.

Shape:
    jacobian: output (*O) and input (*I) -> (*O, *I), per output/input pair.
    hessian: input (*I) -> (*I, *I), per input pair.
"""
from __future__ import annotations

from . import autograd, backend
from .tensor import Tensor

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _as_tuple(x, what, fn):
    """(was it a tuple, the tensors as a tuple), with a clear error for anything else."""
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            where = f"element {i} of " if is_tuple else ""
            raise TypeError(f"{fn}: {where}{what} must be a Tensor (or a tuple of Tensors), got "
                            f"{type(t).__name__}")
    return is_tuple, items


def _prepare(inputs, create_graph):
    """Inputs to differentiate with respect to: still tied to the caller's graph when a graph
    of the result is wanted, else fresh leaves."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            if t.dtype.kind != "f":
                raise TypeError(f"autograd.functional: inputs must be floating point to be "
                                f"differentiated, got {t.dtype}")
            out.append(t.detach().requires_grad_(True))
    return tuple(out)


def _zeros(t):
    return Tensor._make(backend.get_array_module(t._data).zeros_like(t._data))


def _grad(outputs, inputs, grad_outputs, create_graph, strict, fn, what):
    """autograd.grad with zeros for inputs the outputs do not depend on (strict: an error)."""
    outputs, grad_outputs = list(outputs), list(grad_outputs)
    keep = [i for i, o in enumerate(outputs) if o.requires_grad]
    got = [None] * len(inputs)
    if keep:
        got = autograd.grad([outputs[i] for i in keep], inputs,
                            [grad_outputs[i] for i in keep], retain_graph=True,
                            create_graph=create_graph, allow_unused=True)
    result = []
    for i, (g, t) in enumerate(zip(got, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn}: the output of the function is independent of input "
                                   f"{i}, which is not allowed in strict mode ({what})")
            g = _zeros(t)
        result.append(g)
    return tuple(result)


def _call(func, inputs, fn):
    with autograd.enable_grad():
        outputs = func(*inputs)
    return _as_tuple(outputs, "the function's output", fn)


def _finish(value, create_graph):
    return value if create_graph else value.detach()


def _shape_like(vs, refs, fn, what):
    _, vs = _as_tuple(vs, what, fn)
    if len(vs) != len(refs):
        raise RuntimeError(f"{fn}: {what} has {len(vs)} tensors, expected {len(refs)}")
    for i, (v, r) in enumerate(zip(vs, refs)):
        if tuple(v.shape) != tuple(r.shape):
            raise RuntimeError(f"{fn}: {what} {i} has shape {tuple(v.shape)}, but it must "
                               f"match shape {tuple(r.shape)}")
    return vs


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """d func(*inputs) / d inputs: a Tensor for one input and one output, a tuple over inputs
    (or outputs) when one side is a tuple, a tuple of tuples [output][input] when both are."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got "
                         f"{strategy!r}")
    if strategy == "forward-mode" and not vectorize:
        raise ValueError("jacobian: strategy='forward-mode' needs vectorize=True, as in PyTorch")
    if strict and vectorize:
        raise RuntimeError("jacobian: strict=True and vectorize=True cannot be used together")
    from .ops.movement import stack  # core reaches the ops inside functions only
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepare(inputs, create_graph)
    out_tuple, outputs = _call(func, inputs, "jacobian")
    jac = []
    for i, out in enumerate(outputs):
        flat = out.reshape(-1)
        rows = [[] for _ in inputs]
        for k in range(flat.numel()):
            grads = _grad([flat[k]], inputs, [None], create_graph, strict, "jacobian",
                          f"output {i}")
            for j, g in enumerate(grads):
                rows[j].append(g)
        per_input = []
        for j, t in enumerate(inputs):
            if rows[j]:
                block = stack(rows[j]).reshape(tuple(out.shape) + tuple(t.shape))
            else:  # an empty output
                block = Tensor._make(backend.get_array_module(t._data).zeros(
                    tuple(out.shape) + tuple(t.shape), t.dtype))
            per_input.append(_finish(block, create_graph))
        jac.append(tuple(per_input) if in_tuple else per_input[0])
    return tuple(jac) if out_tuple else jac[0]


def _scalar_output(func, inputs, fn):
    out_tuple, outputs = _call(func, inputs, fn)
    if out_tuple and len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError(f"{fn}: the function must return a single-element Tensor, got "
                           f"{'a tuple' if out_tuple else f'shape {tuple(outputs[0].shape)}'}")
    return outputs[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """Second derivatives of a scalar function: a Tensor of shape (*I, *I) for one input, a
    tuple of tuples [i][j] for a tuple of inputs."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = _scalar_output(func, xs, "hessian")
        return _grad([out.reshape(())], xs, [None], True, strict, "hessian", "gradient")

    return jacobian(lambda *xs: gradient(*xs) if in_tuple else gradient(*xs)[0],
                    inputs if in_tuple else inputs[0], create_graph=create_graph,
                    strict=strict, vectorize=vectorize, strategy=outer_jacobian_strategy)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), v^T J): the vector-Jacobian product, shaped like the inputs. `v` may be
    left out when the function returns a single element."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepare(inputs, create_graph)
    out_tuple, outputs = _call(func, inputs, "vjp")
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("vjp: v can be omitted only when the function returns a single "
                               "element tensor")
        vs = (Tensor._make(backend.get_array_module(outputs[0]._data).ones_like(
            outputs[0]._data)),)
    else:
        vs = _shape_like(v, outputs, "vjp", "v")
    grads = _grad(outputs, inputs, vs, create_graph, strict, "vjp", "v^T J")
    outs = tuple(_finish(o, create_graph) for o in outputs)
    grads = tuple(_finish(g, create_graph) for g in grads)
    return (outs if out_tuple else outs[0]), (grads if in_tuple else grads[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), J v): the Jacobian-vector product, shaped like the outputs. `v` may be
    left out when there is a single input of one element."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("jvp: v can be omitted only when there is a single input of one "
                               "element")
        vs = (Tensor._make(backend.get_array_module(inputs[0]._data).ones_like(inputs[0]._data)),)
    else:
        vs = _shape_like(v, inputs, "jvp", "v")
    inputs = _prepare(inputs, create_graph)
    out_tuple, outputs = _call(func, inputs, "jvp")
    # u stands for a vector on the outputs: g(u) = u^T J is linear in u, so dg/du^T v = J v.
    us = tuple(_zeros(o).requires_grad_(True) for o in outputs)
    with autograd.enable_grad():
        g = _grad(outputs, inputs, us, True, strict, "jvp", "J")
    result = _grad(g, us, vs, create_graph, strict, "jvp", "J v")
    outs = tuple(_finish(o, create_graph) for o in outputs)
    result = tuple(_finish(r, create_graph) for r in result)
    return (outs if out_tuple else outs[0]), (result if out_tuple else result[0])


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), v^T H) for a scalar function, shaped like the inputs."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), H v) for a scalar function. The Hessian of a twice continuously
    differentiable function is symmetric, so this is v^T H transposed, computed the same way."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, fn):
    in_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(f"{fn}: v can be omitted only when there is a single input of "
                               "one element")
        vs = (Tensor._make(backend.get_array_module(inputs[0]._data).ones_like(inputs[0]._data)),)
    else:
        vs = _shape_like(v, inputs, fn, "v")
    inputs = _prepare(inputs, create_graph)
    out = _scalar_output(func, inputs, fn)
    with autograd.enable_grad():
        g = _grad([out.reshape(())], inputs, [None], True, strict, fn, "gradient")
    result = _grad(g, inputs, vs, create_graph, strict, fn, "second derivative")
    result = tuple(_finish(r, create_graph) for r in result)
    return _finish(out, create_graph), (result if in_tuple else result[0])
