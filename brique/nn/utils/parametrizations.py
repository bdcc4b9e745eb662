"""nn.utils.parametrizations: weight_norm and spectral_norm as parametrizations (the forms
PyTorch recommends over the hook-based nn.utils.weight_norm / spectral_norm). State-dict keys
are PyTorch's: `parametrizations.weight.original0/1` (g, v) and
`parametrizations.weight.original` with `parametrizations.weight.0._u/_v`."""
from __future__ import annotations

from ... import creation
from ...tensor import Tensor
from ..modules.module import Module
from . import parametrize
from .spectral_norm import _normalize, _transposed, power_iteration, weight_matrix
from .weight_norm import _weight_norm, norm_except_dim


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparameterizes `module.<name>` as g * v / ||v|| (norm over every dimension but
    `dim`; dim=None: the whole tensor), g and v stored as original0 and original1."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{type(module).__name__}' has no parameter or buffer with "
                         f"name '{name}'")
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    """weight / sigma(weight), sigma by power iteration on buffers _u, _v (15 steps at
    creation, n_power_iterations per forward in training); a 1-D weight is just normalized."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < ndim:
            raise IndexError(f"spectral_norm: dimension out of range (expected to be in range "
                             f"of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm: expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.dim, self.eps = dim % ndim, eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = weight_matrix(weight, self.dim)
            h, w = mat.shape
            u = creation.empty(h, dtype=weight.dtype, device=weight.device).normal_()
            v = creation.empty(w, dtype=weight.dtype, device=weight.device).normal_()
            self.register_buffer("_u", _normalize(u, eps))
            self.register_buffer("_v", _normalize(v, eps))
            power_iteration(mat, self._u, self._v, 15, eps, u_first=True)

    def forward(self, weight):
        if weight.ndim == 1:
            return weight / weight.norm().clamp(min=self.eps)
        mat = weight_matrix(weight, self.dim)
        if self.training:
            power_iteration(mat, self._u, self._v, self.n_power_iterations, self.eps,
                            u_first=True)
        sigma = (self._u.clone() * (mat @ self._v.clone())).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divides `module.<name>` by its spectral norm, recomputed at each access. dim defaults
    to 0 (1 for ConvTranspose)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{type(module).__name__}' has no parameter or buffer with "
                         f"name '{name}'")
    dim = (1 if _transposed(module) else 0) if dim is None else dim
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ----------------------------------------------------------------- orthogonal
_MAPS = ("matrix_exp", "cayley", "householder")


def _householder_product(a, tau):
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T, v_i = a[:, i] below
    the diagonal with a 1 on it (LAPACK's orgqr), as a composite so it differentiates."""
    from ... import creation
    n, k = a.shape[-2:]
    eye = creation.eye(n, dtype=a.dtype, device=a.device)
    q = eye[:, :k].expand(tuple(a.shape[:-2]) + (n, k))
    for i in reversed(range(k)):
        v = (a[..., :, i] * (1 - eye[:, :i + 1].sum(-1)) + eye[:, i]).unsqueeze(-1)
        q = q - tau[..., i, None, None] * (v @ (v.transpose(-2, -1) @ q))
    return q


def _make_orthogonal(a):
    """Q of a = QR with R's diagonal made positive (the unique orthogonal factor)."""
    from ... import linalg
    q, r = linalg.qr(a)
    return q * r.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


class _Orthogonal(Module):
    """X -> an orthogonal matrix: exp(A) or the Cayley transform of A = tril(X) - tril(X)^T
    (square), or a product of Householder reflections; times the buffer `base` (set on
    assignment) with use_trivialization."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape, self.orthogonal_map = tuple(weight.shape), orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x):
        from ... import creation, linalg
        n, k = x.shape[-2:]
        transposed = n < k
        if transposed:
            x = x.transpose(-2, -1)
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            x = x.tril()
            if n != k:
                zeros = creation.zeros(tuple(x.shape[:-1]) + (n - k,), dtype=x.dtype,
                                       device=x.device)
                x = _cat_last(x, zeros)
            a = x - x.transpose(-2, -1)
            if self.orthogonal_map == "matrix_exp":
                q = a.matrix_exp()
            else:
                eye = creation.eye(n, dtype=x.dtype, device=x.device)
                q = linalg.solve(eye - 0.5 * a, eye + 0.5 * a)
            q = q[..., :k] if n != k else q
        else:
            a = x.tril(-1)
            tau = 2.0 / (1.0 + (a * a).sum(-2))
            q = _householder_product(a, tau)
            q = q * x.diagonal(dim1=-2, dim2=-1).trunc().unsqueeze(-2)
        if getattr(self, "base", None) is not None:
            q = self.base @ q
        return q.transpose(-2, -1) if transposed else q

    def right_inverse(self, q):
        from ... import creation
        if tuple(q.shape) != self.shape:
            raise ValueError(f"orthogonal: expected a matrix or batch of matrices of shape "
                             f"{self.shape}, got a tensor of shape {tuple(q.shape)}")
        q_init = q
        n, k = q.shape[-2:]
        transpose = n < k
        if transpose:
            q = q.transpose(-2, -1)
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map != "householder":
                raise RuntimeError("orthogonal: it is not possible to assign to the matrix "
                                   "exponential or the Cayley parametrizations when "
                                   "use_trivialization=False")
            return _householder_inverse(q, transpose)
        if n == k:
            eye = creation.eye(n, dtype=q.dtype, device=q.device)
            ortho = bool(((q.transpose(-2, -1) @ q - eye).abs() <= 1e-5).all())
            q = q.clone() if ortho else _make_orthogonal(q)
        else:   # complete the columns into a full orthogonal n x n matrix
            noise = creation.randn(*(tuple(q.shape[:-2]) + (n, n - k)), dtype=q.dtype,
                                   device=q.device)
            q = _make_orthogonal(_cat_last(q, noise))
        self.base = q
        # -I: the Householder map sends it to I (its diagonal gives the signs), so the
        # parametrized weight starts at base.
        rows, cols = q_init.shape[-2:]
        neg_eye = -creation.eye(rows, cols, dtype=q_init.dtype, device=q_init.device)
        return neg_eye.expand(tuple(q_init.shape)).clone()


def _cat_last(a, b):
    from ...ops.movement import cat
    return cat([a, b], -1)


def _householder_inverse(q, transpose):
    """The Householder vectors (LAPACK geqrf) whose product is q, diagonal = sign of R."""
    from ... import backend
    xp = backend.get_array_module(q._data)
    flat = q._data.reshape((-1,) + tuple(q.shape[-2:]))
    out = xp.empty_like(flat)
    for b, m in enumerate(flat):
        h, tau = xp.linalg.qr(m, mode="raw")
        a = h.T.copy()
        diag = xp.sign(xp.diagonal(a)).copy()
        diag[tau == 0] *= -1
        idx = xp.arange(min(a.shape))
        a[idx, idx] = diag
        out[b] = a
    result = Tensor._make(out.reshape(q.shape))
    return result.transpose(-2, -1) if transpose else result


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Constrains `module.<name>` (a matrix or batch of matrices) to be orthogonal (its
    columns or rows orthonormal). orthogonal_map: 'matrix_exp' (default when square),
    'cayley' or 'householder' (default otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{type(module).__name__}' has no parameter or buffer with "
                         f"name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"orthogonal: expected a matrix or batch of matrices, got a tensor of "
                         f"{weight.ndim} dimensions")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
