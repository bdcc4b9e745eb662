"""Inverses, determinants and solves of (batches of) square matrices as primitives, each with its
matrix-calculus backward written in differentiable ops; the LinAlgError they raise; and the
packing that lets one node carry several outputs (eigh, svd, qr: decomp_spectral.py)."""
from __future__ import annotations

import math

from .. import backend
from ..autograd import Function
from ..tensor import Tensor

xp_of = backend.get_array_module


class LinAlgError(RuntimeError):
    """A matrix the algorithm cannot handle (singular, not positive-definite), as PyTorch's
    torch.linalg.LinAlgError: a RuntimeError."""


def finite_or_raise(xp, a, op):
    """LAPACK's SVD never returns on an infinite entry (OpenBLAS loops): refuse first."""
    if a.size and not bool(xp.isfinite(a).all()):
        raise LinAlgError(f"{op}: The algorithm failed to converge because the input matrix "
                          "contained non-finite values.")


def _lapack_error(xp):
    """The exception the array module raises for a singular or non-PD matrix."""
    return getattr(getattr(xp, "linalg", None), "LinAlgError", ValueError)


def check_square(a, op):
    """torch's checks: a floating tensor of at least 2 dims whose last two are equal."""
    check_matrix(a, op)
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


def check_matrix(a, op):
    if not isinstance(a, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(a).__name__}")
    if a.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if a.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point tensor as input. Got {a.dtype}")


def largest(x, keepdims=False):
    """The max over the last dim, 0 for an empty one (CuPy's max has no `initial`)."""
    xp = xp_of(x)
    if x.shape[-1] == 0:
        return xp.zeros(x.shape[:-1] + ((1,) if keepdims else ()), dtype=x.dtype)
    return x.max(-1, keepdims=keepdims)


def eye_like(t, n):
    """The n x n identity as a constant of t's dtype and device."""
    return Tensor._make(xp_of(t._data).eye(n, dtype=t.dtype))


def diag_embed(v):
    """(..., n) -> (..., n, n) with v on the diagonal (differentiable)."""
    return v.unsqueeze(-1) * eye_like(v, v.shape[-1])


def _batch_prefix(index, batch_shape):
    return f"(Batch element {index}): " if batch_shape else ""


# ----------------------------------------------------------------- several outputs in one node
def pack(xp, arrays, batch):
    """Arrays sharing the leading `batch` dims, flattened after them and concatenated: one
    output per node, split again (differentiably) by `unpack`."""
    flat = [a.reshape(batch + (math.prod(a.shape[len(batch):]),)) for a in arrays]
    return xp.concatenate(flat, axis=-1)


def unpack(t, shapes):
    """The tensors of trailing `shapes` packed in t's last dim, as views that carry gradient."""
    out, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        out.append(t[..., start:start + size].reshape(tuple(t.shape[:-1]) + tuple(shape)))
        start += size
    return out


# ----------------------------------------------------------------- the primitives
def attempt(xp, compute):
    """compute() when it gives finite values, else None: NumPy raises for a singular or
    non-positive-definite matrix where CuPy returns NaN; both come here as None."""
    try:
        out = compute()
    except _lapack_error(xp):
        return None
    return out if bool(xp.isfinite(out).all()) else None


def again(xp, compute, op):
    """compute() once more where the info found no failure (a NaN or inf input, or LAPACK
    and lu_arrays rounding a pivot differently): a LinAlgError if it still raises."""
    try:
        return compute()
    except _lapack_error(xp):
        raise LinAlgError(f"{op}: the input matrix is singular or not positive-definite to "
                          "working precision") from None


def raise_for(info, op, what):
    """The LinAlgError PyTorch raises, for the first matrix whose info is nonzero; nothing
    where every info is 0 (a NaN or inf input: passed on, as in PyTorch)."""
    xp = xp_of(info)
    flat = info.reshape(-1)
    bad = xp.flatnonzero(flat)
    if bad.size:
        k = int(bad[0])
        raise LinAlgError(f"{op}: {_batch_prefix(k, info.shape)}{what.format(int(flat[k]))}")


class Inv(Function):
    def forward(self, a):
        xp = xp_of(a)
        out = attempt(xp, lambda: xp.linalg.inv(a))
        if out is None:
            from .decomp_lu import lu_info
            raise_for(lu_info(a), "linalg.inv", "The diagonal element {} is zero, the inversion "
                      "could not be completed because the input matrix is singular.")
            out = again(xp, lambda: xp.linalg.inv(a), "linalg.inv")
        return out

    def backward(self, g):
        x = self.saved_output.mT
        return -(x @ g @ x)


class Det(Function):
    def forward(self, a):
        return xp_of(a).linalg.det(a)

    def backward(self, g):
        (a,) = self.saved
        return g.unsqueeze(-1).unsqueeze(-1) * cofactor(a, self.saved_output)


def cofactor(a, det):
    """The cofactor matrix det(A) A^-T, which stays finite at singular A: there (any det of the
    batch 0) it comes from the SVD, U diag(prod of the other singular values) V^T det(U V^T)."""
    xp = xp_of(a._data)
    if bool(xp.all(det._data != 0)):
        return det.unsqueeze(-1).unsqueeze(-1) * inv(a).mT
    from .decomp_spectral import svd
    from .elementwise import where
    u, s, vh = svd(a)
    n = a.shape[-1]
    others = where(xp.eye(n, dtype=bool), 1.0, s.unsqueeze(-2)).prod(-1)
    sign = Tensor._make(xp.linalg.det(u._data) * xp.linalg.det(vh._data))
    return (u * others.unsqueeze(-2)) @ vh * sign.unsqueeze(-1).unsqueeze(-1)


class Slogdet(Function):
    """sign(det A) and log|det A| packed as [sign, logabsdet]; the sign has no gradient."""

    def forward(self, a):
        xp = xp_of(a)
        sign, logabsdet = xp.linalg.slogdet(a)
        return xp.stack([sign, logabsdet], axis=-1)

    def backward(self, g):
        (a,) = self.saved
        return g[..., 1].unsqueeze(-1).unsqueeze(-1) * inv(a).mT


class Solve(Function):
    """X = A^-1 B for matrices B (batch dims broadcast)."""

    def forward(self, a, b):
        xp = xp_of(a)
        out = attempt(xp, lambda: xp.linalg.solve(a, b))
        if out is None:
            from .decomp_lu import lu_info
            raise_for(lu_info(a), "torch.linalg.solve", "The solver failed because the input "
                      "matrix is singular.")
            out = again(xp, lambda: xp.linalg.solve(a, b), "linalg.solve")
        return out

    def backward(self, g):
        a, b = self.saved
        gb = Solve.apply(a.mT, g)
        ga = -(gb @ self.saved_output.mT) if a.requires_grad else None
        return ga, gb


class SolveTriangular(Function):
    """X = T^-1 B for T the upper or lower triangle of A (with a unit diagonal if
    `unit`): only that triangle is read, and only it gets a gradient."""

    def forward(self, a, b, upper=False, unit=False):
        xp = xp_of(a)
        n = a.shape[-1]
        t = xp.triu(a) if upper else xp.tril(a)
        if unit:
            t = t * (1 - xp.eye(n, dtype=a.dtype)) + xp.eye(n, dtype=a.dtype)
        self.upper, self.unit = upper, unit
        try:
            return xp.linalg.solve(t, b)
        except _lapack_error(xp):  # PyTorch returns inf and NaN there, unchecked
            raise LinAlgError("linalg.solve_triangular: the triangular matrix has a zero on "
                              "its diagonal (it is singular)") from None

    def backward(self, g):
        a, b = self.saved
        gb = SolveTriangular.apply(a.mT, g, upper=not self.upper, unit=self.unit)
        if not a.requires_grad:
            return None, gb
        ga = -(gb @ self.saved_output.mT)
        k = 1 if self.unit else 0
        return (ga.triu(k) if self.upper else ga.tril(-k)), gb


def solve_triangular(a, b, upper, left=True, unitriangular=False):
    if left:
        return SolveTriangular.apply(a, b, upper=upper, unit=unitriangular)
    return SolveTriangular.apply(a.mT, b.mT, upper=not upper, unit=unitriangular).mT


class Cholesky(Function):
    """The lower factor L of A = L L^T (A's lower triangle is read)."""

    def forward(self, a):
        xp = xp_of(a)
        out = attempt(xp, lambda: xp.linalg.cholesky(a))
        if out is None:
            raise_for(cholesky_info(a), "linalg.cholesky", "The factorization could not be "
                      "completed because the input is not positive-definite (the leading minor "
                      "of order {} is not positive-definite).")
            out = again(xp, lambda: xp.linalg.cholesky(a), "linalg.cholesky")
        return out

    def backward(self, g):
        # dL = L Phi(L^-1 dA L^-T), Phi taking the lower triangle with half the diagonal; its
        # adjoint, made symmetric as A is: L^-T S L^-1 with S = sym(Phi(L^T gL)).
        low = self.saved_output
        p = (low.mT @ g).tril()
        s = 0.5 * (p + p.tril(-1).mT)
        y = solve_triangular(low.mT, s, upper=True)
        return solve_triangular(low.mT, y.mT, upper=True).mT


def cholesky_info(a):
    """Per matrix: 0, or the order of the first leading minor that is not positive-definite
    (LAPACK's info), by bisection: a minor of a positive-definite minor is one too."""
    xp = xp_of(a)
    info = []
    for m in a.reshape((math.prod(a.shape[:-2]),) + a.shape[-2:]):
        lo, hi = 0, m.shape[-1]  # the minor of order lo is positive-definite, hi's is not
        if attempt(xp, lambda: xp.linalg.cholesky(m)) is not None or not bool(
                xp.isfinite(m).all()):
            info.append(0)
            continue
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if attempt(xp, lambda: xp.linalg.cholesky(m[:mid, :mid])) is None:
                hi = mid
            else:
                lo = mid
        info.append(hi)
    return xp.asarray(info, dtype=xp.int32).reshape(a.shape[:-2])


def inv(a):
    return Inv.apply(a)
