"""The SGD-with-momentum and Adam updates as compiled loops (numba, through ops/_kernels.py,
which decides whether they can run: `_kernels.usable_flat`), for parameters of at least
MIN_SIZE elements.

One pass over a parameter and its buffers instead of NumPy's 4 (SGD with momentum) or about
a dozen (Adam) whole-array passes and their temporaries. The scalars come in the arrays' dtype
and nothing is fused or reordered (no fastmath), so each value is rounded as in the NumPy
code of optim/sgd.py and optim/adam.py. The MLP 784-256-10's parameters on 2 cores (Intel
Xeon), one step: SGD with momentum 124 -> 77 us, Adam 607 -> 149 us (PyTorch: 69, 258 us).
AMSGrad stays in NumPy: one kernel for both (v passed as its own running maximum when off)
ran scalar, 486 us, LLVM's overlap check failing on the aliased arrays.

CPU-only, like ops/_kernels.py, hence `import numpy` (numpy.sqrt keeps a float32 value in
float32 inside the loops, where math.sqrt would compute in float64).
"""
from __future__ import annotations

import numpy

from ..ops import _kernels

# Below this many elements the kernel call and its checks cost as much as NumPy's passes (a
# 2-8-1 MLP's training step was 168 us with NumPy's updates, 188 us with the kernels).
MIN_SIZE = 4096


def applies(param, *arrays):
    """Do the kernels take this parameter and its gradient and buffers?"""
    return param.size >= MIN_SIZE and _kernels.usable_flat(param, *arrays)


def _sgd_momentum_step(p, g, buf, lr, momentum, keep, nesterov):
    for i in range(p.size):
        b = buf[i] * momentum + g[i] * keep
        buf[i] = b
        p[i] -= lr * (g[i] + momentum * b if nesterov else b)


def _adam_step(p, g, m, v, one_minus_b1, b2, one_minus_b2, step_size, bias2, eps):
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + one_minus_b1 * (gi - m[i])
        m[i] = mi
        vi = v[i] * b2 + one_minus_b2 * (gi * gi)
        v[i] = vi
        p[i] -= step_size * (mi / (numpy.sqrt(vi) / bias2 + eps))


def sgd_momentum_step(p, g, buf, lr, momentum, dampening, nesterov):
    """buf = momentum * buf + (1 - dampening) * g; p -= lr * (g + momentum * buf if nesterov
    else buf), in place (the arrays pass usable_flat)."""
    t = p.dtype.type
    _kernels._jit(_sgd_momentum_step)(p.reshape(-1), g.reshape(-1), buf.reshape(-1), t(lr),
                                      t(momentum), t(1 - dampening), bool(nesterov))


def adam_step(p, g, m, v, betas, step_size, bias2, eps):
    """Adam's update (without amsgrad) in place: m and v updated, then
    p -= step_size * m / (sqrt(v) / bias2 + eps)."""
    t, (b1, b2) = p.dtype.type, betas
    _kernels._jit(_adam_step)(*(a.reshape(-1) for a in (p, g, m, v)), t(1 - b1), t(b2),
                              t(1 - b2), t(step_size), t(bias2), t(eps))
