"""Matrix products: matmul (1-D, 2-D and batched with broadcasting, one primitive: BLAS does the
work), the fused linear, einsum; and the triangles and diagonals of matrices (composites)."""
from __future__ import annotations

import math

from . import _threads
from .. import backend
from ..autograd import Function
from ..tensor import Tensor

xp_of = backend.get_array_module


def _product(a, b):
    """a @ b (on one BLAS thread for medium-sized NumPy matrix products: _threads.py)."""
    if a.ndim == b.ndim == 2 and _threads.medium_product(a, a.shape[0] * a.shape[1] * b.shape[1]):
        with _threads.one_blas_thread():
            return a @ b
    return a @ b


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
        return _product(a, b)

    def backward(self, g):
        a, b = self.saved_product()
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


def _rows(shape):
    """The leading dims folded into one, explicitly (with 0 features, -1 is undetermined)."""
    n = 1
    for s in shape[:-1]:
        n *= s
    return n


def sum_rows(g):
    """A 2-D tensor summed over its rows (a bias's gradient), as the product ones @ g: BLAS's
    GEMV takes 28 us for the LSTM's 1792 x 256 where NumPy's sum(0), which adds one row after
    another, takes 66 (the char LSTM's 4096 x 65: 18 against 96), and its blocked sums are
    the more accurate. Differentiable: a matmul with a constant."""
    data = g._data
    return Matmul.apply(Tensor._make(xp_of(data).ones(data.shape[0], dtype=data.dtype)), g)


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
        rows, (n, k) = _rows(x.shape), w.shape
        x2 = x.reshape(rows, k)
        if b is not None and b.shape == (n,) and rows * n > 2 * (rows * k + 2 * k * n):
            out = _bias_folded(x2, w, b)
        else:
            out = _product(x2, w.T)
            if b is not None:
                out += b
        return out.reshape(x.shape[:-1] + (n,))

    def backward(self, g):
        x, w, b = self.saved
        rows = _rows(x.shape)
        g2 = g.reshape(rows, w.shape[0])
        gx = (g2 @ w).reshape(x.shape) if x.requires_grad else None
        gw = g2.mT @ x.reshape(rows, w.shape[1]) if w.requires_grad else None
        gb = sum_rows(g2) if b is not None and b.requires_grad else None
        return gx, gw, gb


def _bias_folded(x, w, b):
    """x W^T + b as the one product [x 1] [W^T; b]. Where the output is much bigger than x
    and W, adding b after the product is a pass over the output that costs more than the
    copies: the LSTM's input projection, 1792 x 28 by 28 x 256, 238 -> 126 us; the char LSTM's,
    4096 x 32 by 32 x 1024, 2.2 -> 1.5 ms."""
    xp = xp_of(x)
    rows, k = x.shape
    xa = xp.empty((rows, k + 1), dtype=x.dtype)
    xa[:, :k] = x
    xa[:, k] = 1
    wa = xp.empty((k + 1, w.shape[0]), dtype=x.dtype)
    wa[:k] = w.T
    wa[k] = b
    return _product(xa, wa)


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
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: expected 1-D tensors, got shapes {a.shape} and {b.shape}")
    return a.unsqueeze(1) * b.unsqueeze(0)


def inner(a, b):
    """Sums over the last dims of a and b for every pair of their other indices: shape
    a.shape[:-1] + b.shape[:-1] (a 0-d operand multiplies), as PyTorch's inner."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: the last dims must match, got shapes {a.shape} and {b.shape}")
    k, m, n = a.shape[-1], math.prod(a.shape[:-1]), math.prod(b.shape[:-1])
    out = Matmul.apply(a.reshape(m, k), b.reshape(n, k).t())
    return out.reshape(tuple(a.shape[:-1]) + tuple(b.shape[:-1]))


# ----------------------------------------------------------------- einsum
class Einsum(Function):
    """Einstein summation over explicit subscripts (no '...', no implicit output: `einsum`
    rewrites those). The gradient of each operand is another einsum: the output gradient
    contracted with the other operands, onto that operand's subscripts (for an operand with
    a repeated index, onto its distinct ones, then put on the diagonal)."""

    def forward(self, *operands, subscripts=(), output=""):
        self.subscripts, self.output = subscripts, output
        equation = ",".join(subscripts) + "->" + output
        return xp_of(operands[0]).einsum(equation, *operands, optimize=True)

    def backward(self, g):
        operands = self.saved
        grads = []
        for i, (sub, x) in enumerate(zip(self.subscripts, operands)):
            if not x.requires_grad:
                grads.append(None)
                continue
            others = [(s, o) for j, (s, o) in enumerate(zip(self.subscripts, operands))
                      if j != i]
            reached = set(self.output).union(*(s for s, _ in others))
            distinct = "".join(dict.fromkeys(sub))
            size = {c: x.shape[sub.index(c)] for c in distinct}
            kept = "".join(c for c in distinct if c in reached)
            gx = Einsum.apply(g, *(o for _, o in others),
                              subscripts=(self.output,) + tuple(s for s, _ in others),
                              output=kept)
            if kept != distinct:  # an index summed in this operand only: constant gradient
                gx = gx.reshape([size[c] if c in reached else 1 for c in distinct])
                gx = gx.expand(*(size[c] for c in distinct))
            if distinct != sub:
                gx = self._onto_diagonal(gx, distinct, sub, size)
            grads.append(gx)
        return tuple(grads)

    def _onto_diagonal(self, g, distinct, sub, size):
        """g over the distinct indices of `sub` (such as 'ij' for 'iij') as a tensor of
        sub's shape that is g where the repeated indices agree and 0 elsewhere: each repeat
        becomes a new index tied to the first by an identity matrix ('ij,ia->iaj')."""
        used = set(self.output).union(*self.subscripts)
        free = iter(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    if c not in used)
        target, ties, seen = [], [], set()
        for c in sub:
            if c in seen:
                target.append(next(free))
                ties.append(c + target[-1])
            else:
                target.append(c)
                seen.add(c)
        xp = xp_of(g._data)
        eyes = [Tensor._make(xp.eye(size[t[0]], dtype=g.dtype)) for t in ties]
        return Einsum.apply(g, *eyes, subscripts=(distinct,) + tuple(ties),
                            output="".join(target))


def _explicit(equation, operands):
    """(subscripts per operand, output) with '...' replaced by letters and the output made
    explicit (NumPy's rule: the indices seen once, in alphabetical order, after '...')."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    subs = inputs.split(",")
    if len(subs) != len(operands):
        raise ValueError(f"einsum: {equation!r} names {len(subs)} operands, got {len(operands)}")
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            if c not in equation]
    n_ellipsis = max((t.ndim - len(s.replace("...", "")) for s, t in zip(subs, operands)
                      if "..." in s), default=0)
    ell = "".join(free[:n_ellipsis])
    explicit = []
    for s, t in zip(subs, operands):
        if "..." in s:
            k = t.ndim - len(s.replace("...", ""))
            s = s.replace("...", ell[n_ellipsis - k:] if k else "")
        if len(s) != t.ndim:
            raise ValueError(f"einsum: subscripts {s!r} do not match operand of shape "
                             f"{tuple(t.shape)}")
        explicit.append(s)
    if arrow:
        output = output.replace("...", ell)
    else:
        letters = "".join(explicit)
        output = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                      and c not in ell))
    return tuple(explicit), output


def einsum(equation, *operands):
    """torch.einsum: `einsum("bij,bjk->bik", a, b)`; operands may also come as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    subscripts, output = _explicit(equation, operands)
    return Einsum.apply(*operands, subscripts=subscripts, output=output)


# ----------------------------------------------------------------- triangles and diagonals
def _triangle(a, diagonal, lower, op):
    if a.ndim < 2:
        raise ValueError(f"{op}: expected a tensor of at least 2 dims, got shape "
                         f"{tuple(a.shape)}")
    from .elementwise import where
    xp = xp_of(a._data)
    n, m = a.shape[-2:]
    keep = xp.tri(n, m, k=diagonal, dtype=bool)  # j - i <= diagonal
    if not lower:
        keep = ~xp.tri(n, m, k=diagonal - 1, dtype=bool)  # j - i >= diagonal
    out = where(keep, a, 0)
    return out if out.dtype == a.dtype else out.to(a.dtype)


def tril(a, diagonal=0):
    """The lower triangle (j - i <= diagonal) of the last two dims; zeros elsewhere."""
    return _triangle(a, diagonal, True, "tril")


def triu(a, diagonal=0):
    """The upper triangle (j - i >= diagonal) of the last two dims; zeros elsewhere."""
    return _triangle(a, diagonal, False, "triu")


def diagonal(a, offset=0, dim1=0, dim2=1):
    """The diagonal of dims (dim1, dim2), moved last, as in PyTorch."""
    from .movement import movedim
    moved = movedim(a, (dim1, dim2), (-2, -1))
    n, m = moved.shape[-2:]
    xp = xp_of(a._data)
    rows = xp.arange(max(0, -offset), max(0, min(n, m - offset)))
    return moved[(Ellipsis, rows, rows + offset)]


def diag(a, diagonal=0):
    """1-D -> the square matrix with `a` on its `diagonal`-th diagonal; 2-D -> that diagonal."""
    if a.ndim == 2:
        return globals()["diagonal"](a, diagonal)
    if a.ndim != 1:
        raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(a.shape)}")
    from .elementwise import where
    from .movement import pad
    k = abs(diagonal)
    xp = xp_of(a._data)
    on = xp.eye(a.shape[0] + k, k=diagonal, dtype=bool)
    padded = pad(a, (0, k))
    line = padded.unsqueeze(1) if diagonal >= 0 else padded.unsqueeze(0)
    out = where(on, line, 0)
    return out if out.dtype == a.dtype else out.to(a.dtype)


def trace(a):
    if a.ndim != 2:
        raise ValueError(f"trace: expected a 2-D tensor, got shape {tuple(a.shape)}")
    return diagonal(a).sum()


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta input + alpha (mat1 @ mat2)."""
    return beta * input + alpha * matmul(mat1, mat2)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return beta * input + alpha * matmul(batch1, batch2)


def cdist(x1, x2, p=2.0):
    """The p-norm distance of every row of x1 to every row of x2.

    Shape: (*, P, M), (*, R, M) -> (*, P, R)."""
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, -1)  # 0 distances: 0 gradient
