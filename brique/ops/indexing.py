"""Indexing primitives: getitem and its adjoint index_add, gather and its adjoint scatter_add.
Each pair is the other's backward, so any order of derivative works. Repeated indices
accumulate (np.add.at) instead of overwriting; whole rows picked by one integer array (an
embedding's lookup) accumulate in a compiled loop instead (_kernels.index_add_rows)."""
from __future__ import annotations

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from . import _kernels
from .reduce import normalize_dims, values_indices

xp_of = backend.get_array_module


def convert_index(index, xp):
    """A Python/Tensor index -> a tuple for the array module, and whether it is advanced."""
    if not isinstance(index, tuple):
        index = (index,)
    out, advanced = [], False
    for i in index:
        if isinstance(i, Tensor):
            i = i._data
            if i.ndim == 0 and i.dtype.kind in "iu":
                i = int(i)
        elif isinstance(i, list):
            i = xp.asarray(i)
        if backend.is_array(i):
            if i.dtype.kind not in "iub":
                raise IndexError(f"tensors used as indices must be long or bool, got {i.dtype}")
            advanced = True
        out.append(i)
    return tuple(out), advanced


def _rows(index, shape, g):
    """Is this an index of whole rows by one integer array (an embedding's), which the
    compiled index_add_rows can take?"""
    return (len(index) == 1 and _kernels.usable(g) and type(index[0]) is type(g)
            and index[0].dtype.kind in "iu" and len(shape) >= 1
            and g.shape == index[0].shape + tuple(shape[1:]))


class GetItem(Function):
    def forward(self, a, index=(), advanced=False):
        self.shape, self.index, self.advanced = a.shape, index, advanced
        return a[index]

    def view_index(self):
        return None if self.advanced else self.index

    def backward(self, g):
        return IndexAdd.apply(g, shape=self.shape, index=self.index, advanced=self.advanced)


class IndexAdd(Function):
    """zeros(shape) with g added at index (repeated indices accumulate)."""

    def forward(self, g, shape=(), index=(), advanced=False):
        self.index, self.advanced = index, advanced
        if advanced and _rows(index, shape, g):
            return _kernels.index_add_rows(shape, index[0], g)
        out = xp_of(g).zeros(shape, dtype=g.dtype)
        if advanced:
            xp_of(g).add.at(out, index, g)
        else:
            out[index] = g
        return out

    def backward(self, gg):
        return GetItem.apply(gg, index=self.index, advanced=self.advanced)


class IndexPut(Function):
    """a[index] = v, written into a's array (Tensor.__setitem__ in a graph): a's gradient is
    g zeroed at index, v's is g read there (summed back to v's shape by the engine)."""

    def forward(self, a, v, index=(), advanced=False):
        self.index, self.advanced, self.shape = index, advanced, a.shape
        a[index] = v
        return a

    def backward(self, g):
        xp = xp_of(g._data)
        keep = xp.ones(self.shape, dtype=g.dtype)
        keep[self.index] = 0
        return g * Tensor._make(keep), GetItem.apply(g, index=self.index, advanced=self.advanced)


def _along(index, dim):
    """Full fancy index that picks index[...] along dim and the identity elsewhere."""
    xp = xp_of(index)
    ndim = index.ndim
    grids = [index if d == dim else  # broadcastable aranges: cheaper than ogrid
             xp.arange(n).reshape((1,) * d + (n,) + (1,) * (ndim - d - 1))
             for d, n in enumerate(index.shape)]
    return tuple(grids)


class Gather(Function):
    def forward(self, a, dim=0, index=None):
        self.shape, self.dim, self.index = a.shape, dim, index
        return a[_along(index, dim)]

    def backward(self, g):
        zeros = Tensor._make(xp_of(g._data).zeros(self.shape, dtype=g.dtype))
        return ScatterAdd.apply(zeros, g, dim=self.dim, index=self.index)


class ScatterAdd(Function):
    def forward(self, a, src, dim=0, index=None):
        self.dim, self.index = dim, index
        out = a.copy()
        region = tuple(slice(0, s) for s in index.shape)
        xp_of(a).add.at(out, _along(index, dim), src[region])
        return out

    def backward(self, g):
        return g, g.gather(self.dim, Tensor._make(self.index))


# ----------------------------------------------------------------- public functions


def getitem(a, index):
    index, advanced = convert_index(index, xp_of(a._data))
    return GetItem.apply(a, index=index, advanced=advanced)


def _index_array(index, op):
    arr = index._data if isinstance(index, Tensor) else index
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer (int64) tensor, got {arr.dtype}")
    return arr


def _in_range(idx, size, dim, op):
    """PyTorch refuses indices outside [0, size) along `dim` (negative ones included), where
    NumPy would wrap them around."""
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} with size "
                         f"{size}")


def gather(a, dim, index):
    if a.ndim == 0:  # PyTorch treats a 0-d tensor as one element along dim 0
        normalize_dims(dim, 0, "gather")
        return gather(a.reshape(1), 0, _index_array(index, "gather").reshape(1)).reshape(())
    d = normalize_dims(dim, a.ndim, "gather")[0]
    idx = _index_array(index, "gather")
    if idx.ndim != a.ndim:
        raise ValueError(f"gather: index {idx.shape} and input {a.shape} must have the same "
                         "number of dimensions")
    _in_range(idx, a.shape[d], d, "gather")
    return Gather.apply(a, dim=d, index=idx)


def scatter_add(a, dim, index, src):
    d = normalize_dims(dim, a.ndim, "scatter_add")[0]
    idx = _index_array(index, "scatter_add")
    _in_range(idx, a.shape[d], d, "scatter_add")
    return ScatterAdd.apply(a, src, dim=d, index=idx)


def index_select(a, dim, index):
    if a.ndim == 0:  # PyTorch: a 0-d tensor is one element along dim 0 or -1
        normalize_dims(dim, 0, "index_select")
        idx = _index_array(index, "index_select")
        if idx.size != 1:
            raise RuntimeError(f"index_select: the index into a 0-d tensor must hold one value, "
                               f"got {idx.size}")
        return index_select(a.reshape(1), 0, index).reshape(())
    d = normalize_dims(dim, a.ndim, "index_select")[0]
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {idx.shape}")
    _in_range(idx, a.shape[d] if a.ndim else 1, d, "index_select")
    return getitem(a, (slice(None),) * d + (idx.reshape(-1),))


def index_add(a, dim, index, source, alpha=1):
    """a with the slices of source added at `index` along dim (repeated indices accumulate),
    times alpha."""
    d = normalize_dims(dim, a.ndim, "index_add")[0]
    idx = _index_array(index, "index_add").reshape(-1)
    expected = tuple(a.shape[:d]) + (idx.size,) + tuple(a.shape[d + 1:])
    if tuple(source.shape) != expected:
        raise ValueError(f"index_add: source must have shape {expected} (self {tuple(a.shape)} "
                         f"with {idx.size} indices along dim {d}), got {tuple(source.shape)}")
    if not source.numel() or (not a.numel() and a.ndim > 1):
        return a.clone()  # nothing to add: PyTorch checks no index there (but for 1-D self)
    _in_range(idx, a.shape[d], d, "index_add")
    added = IndexAdd.apply(source, shape=tuple(a.shape), index=(slice(None),) * d + (idx,),
                           advanced=True)
    return a + (added if alpha == 1 else added * alpha)


def take_along_dim(a, indices, dim=None):
    """a's values at `indices` along dim, the other dims broadcast between the two (gather
    with broadcasting); with dim None, of the flattened a."""
    if dim is None:
        return gather(a.reshape(-1), 0, indices.reshape(-1))
    if a.ndim == 0:
        raise IndexError(f"take_along_dim: dim {dim} given for a 0-d tensor, which has none")
    d = normalize_dims(dim, a.ndim, "take_along_dim")[0]
    if indices.ndim != a.ndim:
        raise ValueError(f"take_along_dim: indices {tuple(indices.shape)} and input "
                         f"{tuple(a.shape)} must have the same number of dims")
    from .movement import broadcast_shapes
    shape = list(broadcast_shapes(tuple(a.shape[:d]) + (1,) + tuple(a.shape[d + 1:]),
                                  tuple(indices.shape[:d]) + (1,) + tuple(indices.shape[d + 1:])))
    a = a.expand(*(shape[:d] + [a.shape[d]] + shape[d + 1:]))
    indices = indices.expand(*(shape[:d] + [indices.shape[d]] + shape[d + 1:]))
    return gather(a, d, indices)


def masked_fill(a, mask, value):
    from .elementwise import where
    out = where(mask, value, a)
    return out if out.dtype == a.dtype else out.to(a.dtype)  # PyTorch keeps a's dtype


def one_hot(a, num_classes=-1):
    data = _index_array(a, "one_hot")
    xp = xp_of(data)
    if num_classes < 0:
        num_classes = int(data.max()) + 1 if data.size else 0
    if data.size and (data.min() < 0 or data.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got values in "
                         f"[{int(data.min())}, {int(data.max())}]")
    return Tensor._make((data[..., None] == xp.arange(num_classes)).astype(backend.int64))


def argsort(a, dim=-1, descending=False, stable=False):
    d = normalize_dims(dim, a.ndim, "argsort")[0] if a.ndim else 0
    data = -a._data if descending else a._data
    if a.ndim == 0:
        return Tensor._make(xp_of(data).zeros((), dtype=backend.int64))
    return Tensor._make(xp_of(data).argsort(data, axis=d, kind="stable").astype(backend.int64))


def sort(a, dim=-1, descending=False, stable=False):
    idx = argsort(a, dim, descending)
    if a.ndim == 0:
        return values_indices(a * 1, idx)
    return values_indices(a.gather(dim, idx), idx)


def topk(a, k, dim=-1, largest=True, sorted=True):
    if a.ndim == 0:  # PyTorch treats a 0-d tensor as one element along dim 0
        normalize_dims(dim, 0, "topk")
        values, indices = topk(a.reshape(1), k, 0, largest, sorted)
        return values_indices(values.reshape(-1)[:1].reshape(()) if k else a * 1,
                              indices.reshape(-1)[:1].reshape(()) if k else indices.sum())
    d = normalize_dims(dim, a.ndim, "topk")[0]
    if not 0 <= k <= a.shape[d]:
        raise ValueError(f"topk: k={k} is out of range for dim {d} of shape {a.shape}")
    idx = argsort(a, d, descending=largest)
    idx = idx[(slice(None),) * d + (slice(0, k),)]
    return values_indices(a.gather(d, idx), idx)


# ----------------------------------------------------------------- data-dependent shapes
def nonzero(a, as_tuple=False):
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor
    per dim with as_tuple=True."""
    found = xp_of(a._data).nonzero(a._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(backend.int64)) for i in found)
    return Tensor._make(xp_of(a._data).stack(found, axis=1).astype(backend.int64))


def argwhere(a):
    return nonzero(a)


def masked_select(a, mask):
    """The elements of `a` where `mask` (broadcast to a's shape) is true, as a 1-D tensor."""
    m = mask._data if isinstance(mask, Tensor) else mask
    xp = xp_of(a._data)
    shape = xp.broadcast_shapes(a.shape, m.shape)
    return getitem(a.expand(*shape), xp.broadcast_to(m, shape).astype(bool))


def count_nonzero(a, dim=None):
    if dim is not None and not isinstance(dim, int):  # a dim listed twice is refused
        dim = normalize_dims(dim, a.ndim, "count_nonzero")
    out = xp_of(a._data).count_nonzero(a._data, axis=dim)
    return Tensor._make(xp_of(a._data).asarray(out, dtype=backend.int64))


def unique(a, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), and optionally where each element went and how many."""
    xp = xp_of(a._data)
    out = xp.unique(a._data, return_inverse=return_inverse, return_counts=return_counts,
                    axis=dim)
    if not (return_inverse or return_counts):
        return Tensor._make(out)
    values, *rest = out
    if return_inverse:
        rest[0] = rest[0].reshape(a.shape if dim is None else (-1,))
    return (Tensor._make(values),) + tuple(Tensor._make(r.astype(backend.int64)) for r in rest)


def bincount(a, weights=None, minlength=0):
    w = weights._data if isinstance(weights, Tensor) else weights
    return Tensor._make(xp_of(a._data).bincount(_index_array(a, "bincount"), w, minlength))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    e = elements._data if isinstance(elements, Tensor) else elements
    t = test_elements._data if isinstance(test_elements, Tensor) else test_elements
    return Tensor._make(xp_of(e).isin(e, t, assume_unique=assume_unique, invert=invert))
