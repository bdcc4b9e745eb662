"""The eigen-decomposition of symmetric matrices, the SVD, QR and the pseudo-inverse as
primitives. eigh, svd and qr have several outputs: each node returns them packed in one array
(decomp.pack) and the functions here split it, so a gradient can reach any of them."""
from __future__ import annotations

from .. import backend
from ..autograd import Function
from .decomp import (diag_embed, eye_like, finite_or_raise, largest, pack, solve_triangular,
                     unpack)

xp_of = backend.get_array_module


def _off_diagonal_ratio(num, den):
    """num / den off the diagonal, 0 on it (den is 0 there)."""
    from .elementwise import where
    eye = xp_of(num._data).eye(num.shape[-1], dtype=bool)
    return where(eye, 0.0, num / where(eye, 1.0, den))


def _is_zero(t):
    return not bool(xp_of(t._data).any(t._data))


class Eigh(Function):
    """Ascending eigenvalues w and orthonormal eigenvectors V (columns) of the symmetric
    matrices whose `uplo` triangle is given, packed as [w | V]."""

    def forward(self, a, uplo="L"):
        self.n = a.shape[-1]
        w, v = xp_of(a).linalg.eigh(a, UPLO=uplo)
        return pack(xp_of(a), (w, v), a.shape[:-2])

    def backward(self, g):
        # V^T dA V = dW + Omega W - W Omega (Omega = V^T dV skew), read off entry by entry; the
        # skew part of V^T gV keeps the gradient symmetric (PyTorch's convention). Repeated
        # eigenvalues make the eigenvectors' gradient infinite, as in PyTorch.
        n = self.n
        w, v = unpack(self.saved_output, ((n,), (n, n)))
        gw, gv = unpack(g, ((n,), (n, n)))
        inner = diag_embed(gw)
        if not _is_zero(gv):
            m = v.mT @ gv
            inner = inner + _off_diagonal_ratio(0.5 * (m - m.mT), w.unsqueeze(-2) - w.unsqueeze(-1))
        return v @ inner @ v.mT


def eigh(a, uplo="L"):
    n = a.shape[-1]
    return unpack(Eigh.apply(a, uplo=uplo), ((n,), (n, n)))


class Svd(Function):
    """U, S, V^H packed as [U | S | V^H] (reduced, or full with full_matrices)."""

    def forward(self, a, full_matrices=False):
        xp = xp_of(a)
        finite_or_raise(xp, a, "linalg.svd")
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        self.shapes = (u.shape[-2:], s.shape[-1:], vh.shape[-2:])
        return pack(xp, (u, s, vh), a.shape[:-2])

    def backward(self, g):
        # Townsend, "Differentiating the singular value decomposition" (2016), real case.
        # With full_matrices the extra columns of U and rows of V^H get no gradient (PyTorch).
        u, s, vh = unpack(self.saved_output, self.shapes)
        gu, gs, gvh = unpack(g, self.shapes)
        k = s.shape[-1]
        u, gu, vh, gvh = u[..., :k], gu[..., :k], vh[..., :k, :], gvh[..., :k, :]
        m, n = u.shape[-2], vh.shape[-1]
        inner = diag_embed(gs)
        vectors = not (_is_zero(gu) and _is_zero(gvh))
        if vectors:
            s2 = s * s
            gap = s2.unsqueeze(-2) - s2.unsqueeze(-1)  # s_j^2 - s_i^2
            j = _off_diagonal_ratio(u.mT @ gu - gu.mT @ u, gap)
            kk = _off_diagonal_ratio(vh @ gvh.mT - gvh @ vh.mT, gap)
            inner = inner + j * s.unsqueeze(-2) + s.unsqueeze(-1) * kk
        ga = u @ inner @ vh
        if vectors and m > k:
            ga = ga + ((gu - u @ (u.mT @ gu)) / s.unsqueeze(-2)) @ vh
        if vectors and n > k:
            ga = ga + (u / s.unsqueeze(-2)) @ (gvh - (gvh @ vh.mT) @ vh)
        return ga


def svd(a, full_matrices=False):
    m, n = a.shape[-2:]
    k = min(m, n)
    rows, cols = (m, n) if full_matrices else (k, k)
    return unpack(Svd.apply(a, full_matrices=full_matrices), ((m, rows), (k,), (cols, n)))


class Qr(Function):
    """Q and R packed as [Q | R]; mode 'reduced' or 'complete' ('r' computes the reduced Q
    too, then refuses a gradient as PyTorch does)."""

    def forward(self, a, mode="reduced"):
        xp = xp_of(a)
        self.mode = mode
        q, r = xp.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        self.shapes = (q.shape[-2:], r.shape[-2:])
        return pack(xp, (q, r), a.shape[:-2])

    def backward(self, g):
        m, n = self.shapes[0][0], self.shapes[1][1]
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        q, r = unpack(self.saved_output, self.shapes)
        gq, gr = unpack(g, self.shapes)
        if m >= n:
            return _qr_backward(q, r, gq, gr)
        # Wide: A = [X | Y] with X = Q R1 square and Y = Q R2.
        from .movement import cat
        r2, gr2 = r[..., m:], gr[..., m:]
        gx = _qr_backward(q, r[..., :m], gq + (q @ r2) @ gr2.mT, gr[..., :m])
        return cat([gx, q @ gr2], -1)


def _qr_backward(q, r, gq, gr):
    """A = QR with R square and invertible: (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q, where
    copyltu mirrors the lower triangle onto the upper."""
    m = r @ gr.mT - gq.mT @ q
    b = gq + q @ (m.tril() + m.tril(-1).mT)
    return solve_triangular(r, b.mT, upper=True).mT


def qr(a, mode="reduced"):
    m, n = a.shape[-2:]
    k = min(m, n)
    qshape, rshape = ((m, m), (m, n)) if mode == "complete" else ((m, k), (k, n))
    return unpack(Qr.apply(a, mode=mode), (qshape, rshape))


class Pinv(Function):
    """The pseudo-inverse, singular values (|eigenvalues| with hermitian) at or below
    max(atol, rtol * largest) counted as 0. Its own backward, the derivative at constant rank
    (Golub and Pereyra), stays finite where the SVD's would not (repeated singular values)."""

    def forward(self, a, atol=0.0, rtol=0.0, hermitian=False):
        xp = xp_of(a)
        if hermitian:
            w, v = xp.linalg.eigh(a)
            cut = xp.maximum(atol, rtol * largest(xp.abs(w), True))
            inv_w = xp.where(xp.abs(w) > cut, 1 / xp.where(w == 0, 1, w), 0).astype(a.dtype)
            return (v * inv_w[..., None, :]) @ v.swapaxes(-1, -2)
        finite_or_raise(xp, a, "linalg.pinv")
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        cut = xp.maximum(atol, rtol * largest(s, True))
        inv_s = xp.where(s > cut, 1 / xp.where(s == 0, 1, s), 0).astype(a.dtype)
        return (vh.swapaxes(-1, -2) * inv_s[..., None, :]) @ u.swapaxes(-1, -2)

    def backward(self, g):
        (a,) = self.saved
        p = self.saved_output
        pt = p.mT
        m, n = a.shape[-2:]
        left = eye_like(a, m) - a @ p  # I - A A+
        right = eye_like(a, n) - p @ a  # I - A+ A
        return -(pt @ g @ pt) + left @ g.mT @ (p @ pt) + (pt @ p) @ g.mT @ right


def pinv(a, atol=0.0, rtol=0.0, hermitian=False):
    return Pinv.apply(a, atol=atol, rtol=rtol, hermitian=hermitian)


def svdvals_tensor(a):
    """The singular values, through Svd so they carry a gradient."""
    return svd(a)[1]


def eigvalsh_tensor(a, uplo="L"):
    return eigh(a, uplo)[0]

