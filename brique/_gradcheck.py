"""`brique.autograd.gradcheck` and `gradgradcheck`: compare the gradients backward computes
with central finite differences, as PyTorch's do (use float64 inputs: float32 differences are
too coarse for the default tolerances).

A mismatch raises GradcheckError (a RuntimeError) naming the output, the input, the element
with the largest difference and both Jacobians, so a wrong custom Function's backward shows
where it is wrong."""
from __future__ import annotations

import warnings

from . import autograd, backend
from .tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

# PyTorch options brique has nothing to switch for (no forward-mode AD, no batched grads, no
# sparse or masked tensors): accepted so that calls written for PyTorch run.
_ACCEPTED = {"nondet_tol", "check_undefined_grad", "check_grad_dtypes", "check_batched_grad",
             "check_batched_forward_grad", "check_forward_ad", "check_backward_ad",
             "fast_mode", "masked", "check_sparse_nnz", "gen_non_contig_grad_outputs",
             "check_fwd_over_rev", "check_rev_over_rev"}


class GradcheckError(RuntimeError):
    """The analytic and numerical gradients differ."""


def _inputs(inputs):
    items = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, t in enumerate(items) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: expected at least one input tensor with requires_grad=True")
    for i in checked:
        if items[i].device.type != "cpu":
            raise ValueError(f"gradcheck: input {i} is on {items[i].device}; finite differences "
                             "are taken on the CPU")
        if items[i].dtype != backend.float64:
            warnings.warn(f"gradcheck: input {i} requires grad and is {items[i].dtype}, not "
                          "float64: the check may fail from rounding alone", UserWarning,
                          stacklevel=3)
    return items, checked


def _outputs(func, items):
    out = func(*items)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return tuple(o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f")


def _numerical(func, items, checked, eps):
    """num[o][j]: (output o's numel, input j's numel) by central differences."""
    np = backend.numpy
    # Grad mode stays on: gradgradcheck's function itself calls autograd.grad.
    with autograd.enable_grad():
        shapes = [o.shape for o in _outputs(func, items)]
        num = [[np.zeros((int(np.prod(s)), items[j].numel())) for j in checked] for s in shapes]
        for col, j in enumerate(checked):
            data = items[j]._data
            for k in range(data.size):
                idx = np.unravel_index(k, data.shape)
                orig = data[idx].item()
                data[idx] = orig + eps
                plus = [backend.to_numpy(o._data).astype(np.float64).ravel()
                        for o in _outputs(func, items)]  # a copy: the data changes next
                data[idx] = orig - eps
                minus = [backend.to_numpy(o._data).astype(np.float64).ravel()
                         for o in _outputs(func, items)]
                data[idx] = orig
                for o, (p, m) in enumerate(zip(plus, minus)):
                    num[o][col][:, k] = (p - m) / (2 * eps)
    return num


def _analytical(func, items, checked):
    np = backend.numpy
    with autograd.enable_grad():
        outputs = _outputs(func, items)
    ana = [[np.zeros((o.numel(), items[j].numel())) for j in checked] for o in outputs]
    inputs = [items[j] for j in checked]
    for o, out in enumerate(outputs):
        if not out.requires_grad:
            continue  # its Jacobian is zero, as the numerical one must then be
        flat = out.reshape(-1)
        for m in range(flat.numel()):
            grads = autograd.grad(flat[m], inputs, retain_graph=True, allow_unused=True)
            for col, g in enumerate(grads):
                if g is not None:
                    if tuple(g.shape) != tuple(inputs[col].shape):
                        raise GradcheckError(f"gradcheck: the gradient for input {checked[col]}"
                                             f" has shape {tuple(g.shape)}, expected "
                                             f"{tuple(inputs[col].shape)}")
                    ana[o][col][m] = backend.to_numpy(g._data).astype(np.float64).ravel()
    return ana


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              **options):
    """True if the gradient of func at `inputs` (a tensor or a tuple; those with
    requires_grad are checked) matches central differences within
    |analytic - numerical| <= atol + rtol * |numerical|; else raise GradcheckError (or
    return False with raise_exception=False)."""
    unknown = set(options) - _ACCEPTED
    if unknown:
        raise TypeError(f"gradcheck: unexpected keyword arguments {sorted(unknown)}")
    items, checked = _inputs(inputs)
    np = backend.numpy
    ana = _analytical(func, items, checked)
    num = _numerical(func, items, checked, eps)
    for o, (a_out, n_out) in enumerate(zip(ana, num)):
        for col, (a, n) in enumerate(zip(a_out, n_out)):
            if a.size and not np.allclose(a, n, rtol=rtol, atol=atol):
                diff = np.abs(a - n)
                worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
                msg = (f"Jacobian mismatch for output {o} with respect to input {checked[col]}: "
                       f"largest difference {diff[worst]:.6g} at (output element {worst[0]}, "
                       f"input element {worst[1]}): analytical {a[worst]:.6g}, numerical "
                       f"{n[worst]:.6g} (atol={atol}, rtol={rtol})\nnumerical:\n{n}\n"
                       f"analytical:\n{a}")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **options):
    """gradcheck of the backward pass itself: the gradients of func, taken with
    create_graph=True for `grad_outputs` (random float64 ones when not given), are checked
    against finite differences with respect to the inputs and the grad_outputs."""
    items, checked = _inputs(inputs)
    with autograd.enable_grad():
        outputs = _outputs(func, items)
    if grad_outputs is None:
        from .creation import randn_like  # core reaches creation inside functions
        grad_outputs = tuple(randn_like(o, dtype=backend.float64).requires_grad_(True)
                             for o in outputs)
    else:
        grad_outputs = tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) \
            else (grad_outputs,)
    n = len(items)

    def backward_of(*args):
        xs, gos = args[:n], args[n:]
        outs = _outputs(func, xs)
        used = [i for i, o in enumerate(outs) if o.requires_grad]
        if not used:
            return tuple(Tensor._make(xs[j]._data * 0) for j in checked)
        grads = autograd.grad([outs[i] for i in used], [xs[j] for j in checked],
                              [gos[i] for i in used], create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor._make(xs[j]._data * 0)
                     for j, g in zip(checked, grads))

    return gradcheck(backward_of, items + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, **options)
