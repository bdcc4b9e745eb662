"""Products PyTorch programs use beyond matmul: kron, tensordot, cross, the fused
multiply-adds (addcmul, addcdiv, addmv, addr, addbmm), mv, ger, vdot and chain_matmul. All are
composites of matmul, broadcasting and reshapes, so their gradients come for free."""
from __future__ import annotations

import numbers
import warnings

from .. import backend
from ..tensor import Tensor
from .linalg import matmul, outer
from .reduce import normalize_dims


def _scaled(x, factor):
    return x if factor == 1 else x * factor


def _beta_input(input, beta):
    """beta * input, where beta = 0 ignores input entirely (NaN and inf in it included)."""
    return input * 0 if beta == 0 else _scaled(input, beta)


def _fused(op, input, tensor1, tensor2, value):
    """The three operands in the dtype PyTorch computes in (the promotion of all three, not
    pairwise), and value as that dtype holds it (truncated for integers, wrapped for uint8)."""
    dtype = backend.result_type(input, tensor1, tensor2)
    if dtype == backend.bool_:
        raise RuntimeError(f"{op}: not implemented for bool tensors")
    if dtype.kind in "iu":
        value = int(value)
        if dtype.kind == "u":
            value %= 2 ** (8 * dtype.itemsize)
    return tuple(t.to(dtype) for t in (input, tensor1, tensor2)) + (value,)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2 (broadcast)."""
    input, tensor1, tensor2, value = _fused("addcmul", input, tensor1, tensor2, value)
    return input + _scaled(tensor1 * tensor2, value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (broadcast); integer division is refused, as in
    PyTorch."""
    if tensor1.dtype.kind in "biu" and tensor2.dtype.kind in "biu":
        raise RuntimeError("addcdiv: integer division with addcdiv is no longer supported; "
                           "use (input + value * tensor1 / tensor2) or a float tensor")
    input, tensor1, tensor2, value = _fused("addcdiv", input, tensor1, tensor2, value)
    return input + _scaled(tensor1 / tensor2, value)


def _need(t, ndim, op, name):
    if t.ndim != ndim:
        raise RuntimeError(f"{op}: {name} must be a {ndim}-D tensor, got shape "
                           f"{tuple(t.shape)}")


def mv(input, vec):
    """Matrix times vector. Shape: (n, m), (m,) -> (n,)."""
    _need(input, 2, "mv", "input")
    _need(vec, 1, "mv", "vec")
    if input.dtype == backend.bool_ or vec.dtype == backend.bool_:
        raise RuntimeError("mv: not implemented for bool tensors")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"mv: size mismatch, got input ({input.shape[0]}x{input.shape[1]}) "
                           f"and vec ({vec.shape[0]})")
    return matmul(input, vec)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta input + alpha (mat @ vec)."""
    return _beta_input(input, beta) + _scaled(mv(mat, vec), alpha)


def ger(input, vec2):
    """The outer product of two 1-D tensors (outer's older name)."""
    _need(input, 1, "ger", "input")
    _need(vec2, 1, "ger", "vec2")
    return outer(input, vec2)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta input + alpha outer(vec1, vec2)."""
    return _beta_input(input, beta) + _scaled(ger(vec1, vec2), alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta input + alpha sum_i batch1[i] @ batch2[i]. Shape: (b, n, m), (b, m, p) -> (n, p)."""
    _need(batch1, 3, "addbmm", "batch1")
    _need(batch2, 3, "addbmm", "batch2")
    if batch1.shape[0] != batch2.shape[0] or batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"addbmm: batch1 {tuple(batch1.shape)} and batch2 "
                           f"{tuple(batch2.shape)} must be (b, n, m) and (b, m, p)")
    b, n, m = batch1.shape
    p = batch2.shape[2]
    # one (n, b*m) @ (b*m, p) product is the sum of the b products
    left = batch1.permute(1, 0, 2).reshape(n, b * m)
    return _beta_input(input, beta) + _scaled(matmul(left, batch2.reshape(b * m, p)), alpha)


def vdot(input, other):
    """The dot product of two 1-D tensors, the first conjugated."""
    _need(input, 1, "vdot", "input")
    _need(other, 1, "vdot", "other")
    if input.shape != other.shape:
        raise RuntimeError(f"vdot: expected both vectors to have same number of elements, "
                           f"but got {input.shape[0]} and {other.shape[0]}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"vdot: expected both vectors to have same dtype, but found "
                           f"{input.dtype} and {other.dtype}")
    if input.dtype == backend.bool_:
        raise RuntimeError("vdot: not implemented for bool tensors")
    if input.dtype.kind == "c":
        input = input.conj()
    return (input * other).sum(dtype=input.dtype)  # uint8 stays uint8, as in PyTorch


def chain_matmul(*matrices):
    """The product of 2-D matrices, left to right (deprecated in PyTorch for linalg.multi_dot)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        _need(m, 2, "chain_matmul", "each matrix")
    out = matrices[0]
    if len(matrices) == 1:
        return out.clone()
    for m in matrices[1:]:
        out = matmul(out, m)
    return out


def kron(input, other):
    """The Kronecker product: every element of input times all of other, in blocks.

    Shape: (a1, ..., an), (b1, ..., bn) -> (a1*b1, ..., an*bn) (the fewer dims padded with 1)."""
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    # interleave: a's dims at even positions, b's at odd ones, then merge each pair
    a_view = tuple(s for d in a.shape for s in (d, 1))
    b_view = tuple(s for d in b.shape for s in (1, d))
    out = a.reshape(a_view) * b.reshape(b_view)
    return out.reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))


def tensordot(a, b, dims=2, out=None):
    """Contract the last `dims` dims of a with the first `dims` of b, or the listed pairs
    (dims=([a dims], [b dims]))."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if a.dtype != b.dtype:
        raise RuntimeError(f"tensordot: both inputs should have the same dtype, got {a.dtype} "
                           f"and {b.dtype}")
    if isinstance(dims, numbers.Integral):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                               f"dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        if len(dims) != 2:
            raise RuntimeError(f"tensordot expects dims to be a pair of lists, got {dims!r}")
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(da) != len(db):
            raise RuntimeError(f"both dimension lists should have same length, got {da} and "
                               f"{db}")
        da = [normalize_dims(d, a.ndim, "tensordot")[0] for d in da]
        db = [normalize_dims(d, b.ndim, "tensordot")[0] for d in db]
    for i, j in zip(da, db):
        # a contracted dim of size 1 broadcasts, as in PyTorch: sum the other side over it
        if a.shape[i] == 1 and b.shape[j] != 1:
            b = b.sum(j, keepdim=True, dtype=b.dtype)
        elif b.shape[j] == 1 and a.shape[i] != 1:
            a = a.sum(i, keepdim=True, dtype=a.dtype)
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first "
                               f"has size {a.shape[i]} in dim {i} and second has size "
                               f"{b.shape[j]} in dim {j}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = 1
    for d in da:
        k *= a.shape[d]
    rows = cols = 1
    for d in free_a:
        rows *= a.shape[d]
    for d in free_b:
        cols *= b.shape[d]
    if rows * cols and backend.result_type(a, b) == backend.bool_:
        raise RuntimeError("tensordot: not implemented for bool tensors")
    # sizes spelled out, not -1: a zero-size dim leaves -1 undetermined
    left = (a.permute(*(free_a + da)) if a.ndim else a).reshape(rows, k)
    right = (b.permute(*(db + free_b)) if b.ndim else b).reshape(k, cols)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return matmul(left, right).to(a.dtype).reshape(shape)  # an empty bool product stays bool


def _cross_dtypes(op, input, other):
    if input.dtype != other.dtype:
        raise RuntimeError(f"{op}: expected both inputs of one dtype, got {input.dtype} and "
                           f"{other.dtype}")
    if input.dtype == backend.bool_:
        raise RuntimeError(f"{op}: not implemented for bool tensors")


def cross(input, other, dim=None):
    """The cross product of 3-vectors along dim (broadcast). With dim None, the first dim of
    size 3, with PyTorch's deprecation warning (torch.linalg.cross defaults to dim=-1)."""
    from .movement import broadcast_shapes
    _cross_dtypes("cross", input, other)
    shape = broadcast_shapes(tuple(input.shape), tuple(other.shape))
    if dim is None:
        sizes3 = [i for i, s in enumerate(shape) if s == 3]
        if not sizes3:
            raise RuntimeError(f"no dimension of size 3 in input: shapes {tuple(input.shape)} "
                               f"and {tuple(other.shape)}")
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please "
                      "either pass the dim explicitly or simply use torch.linalg.cross.",
                      UserWarning, stacklevel=2)
        d = sizes3[0]
    else:
        d = normalize_dims(dim, len(shape), "cross")[0]
    def size_at(t):
        i = d - (len(shape) - t.ndim)
        return t.shape[i] if i >= 0 else 1

    if size_at(input) != 3 or size_at(other) != 3:
        raise RuntimeError(f"cross: inputs dimension {d} must have length 3. Got "
                           f"{tuple(input.shape)} and {tuple(other.shape)}")
    a, b = input.expand(*shape), other.expand(*shape)
    a1, a2 = a.roll(-1, d), a.roll(-2, d)
    b1, b2 = b.roll(-1, d), b.roll(-2, d)
    return a1 * b2 - a2 * b1
