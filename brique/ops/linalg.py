"""Matrix product: 1-D, 2-D and batched with broadcasting, one primitive (BLAS does the work)."""
from __future__ import annotations

from ..autograd import Function


class Matmul(Function):
    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"both arguments to matmul need to be at least 1-D, got shapes "
                             f"{a.shape} and {b.shape}")
        k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if a.shape[-1] != k_b:
            raise ValueError(f"shapes {a.shape} and {b.shape} cannot be multiplied "
                             f"({a.shape[-1]} != {k_b})")
        if a.dtype != b.dtype:
            raise TypeError(f"expected both operands to have the same dtype, got {a.dtype} and "
                            f"{b.dtype}")
        return a @ b

    def backward(self, g):
        a, b = self.saved
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if a.requires_grad else None), (g * a if b.requires_grad else None)
        # Lift 1-D operands to matrices so one formula covers every case; the engine then
        # sums broadcast batch dims back to each input's shape.
        A = a.unsqueeze(0) if a.ndim == 1 else a
        B = b.unsqueeze(-1) if b.ndim == 1 else b
        G = g
        if a.ndim == 1:
            G = G.unsqueeze(-2)
        if b.ndim == 1:
            G = G.unsqueeze(-1)
        ga = gb = None
        if a.requires_grad:
            ga = G @ B.mT
            if a.ndim == 1:
                ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if b.requires_grad:
            gb = A.mT @ G
            if b.ndim == 1:
                gb = gb.reshape(gb.shape[:-1])
        return ga, gb


class Linear(Function):
    """x W^T + b fused (PyTorch's addmm), for speed: one node instead of three, leading dims
    folded into one BLAS call, and the weight gradient made directly in W's (out, in) layout
    (through a transpose node it would come out Fortran-ordered and slow every optimizer step).
    """

    def forward(self, x, w, b=None):
        if x.shape[-1] != w.shape[1]:
            raise ValueError(f"input has {x.shape[-1]} features but the weight {w.shape} "
                             f"expects {w.shape[1]}")
        if x.dtype != w.dtype:
            raise TypeError(f"expected input and weight to have the same dtype, got {x.dtype} "
                            f"and {w.dtype}")
        out = x.reshape(-1, x.shape[-1]) @ w.T
        if b is not None:
            out += b
        return out.reshape(x.shape[:-1] + (w.shape[0],))

    def backward(self, g):
        x, w, b = self.saved
        g2 = g.reshape(-1, w.shape[0])
        gx = (g2 @ w).reshape(x.shape) if x.requires_grad else None
        gw = g2.mT @ x.reshape(-1, w.shape[1]) if w.requires_grad else None
        gb = g2.sum(0) if b is not None and b.requires_grad else None
        return gx, gw, gb


def linear(input, weight, bias=None):
    """y = x W^T + b (F.linear).

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features,)
    -> (*, out_features).
    """
    return Linear.apply(input, weight, bias)


def matmul(a, b):
    return Matmul.apply(a, b)


def mm(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: expected 2-D tensors, got shapes {a.shape} and {b.shape}")
    return Matmul.apply(a, b)


def bmm(a, b):
    if a.ndim != 3 or b.ndim != 3:
        raise ValueError(f"bmm: expected 3-D tensors, got shapes {a.shape} and {b.shape}")
    return Matmul.apply(a, b)


def dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: expected 1-D tensors, got shapes {a.shape} and {b.shape}")
    return Matmul.apply(a, b)


def outer(a, b):
    return a.unsqueeze(1) * b.unsqueeze(0)
