"""Shape and layout primitives (reshape, permute, expand, flip, pad, repeat, cat) and the
composites built on them (squeeze, unsqueeze, flatten, transpose, stack, split, chunk)."""
from __future__ import annotations

import builtins

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .reduce import normalize_dims, one_dim

xp_of = backend.get_array_module


class Reshape(Function):
    def forward(self, a, shape=()):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)


class Permute(Function):
    def forward(self, a, dims=()):
        self.dims = dims
        return a.transpose(dims)

    def backward(self, g):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return g.permute(tuple(inverse))


class Expand(Function):
    def forward(self, a, shape=()):
        self.shape = a.shape
        return xp_of(a).broadcast_to(a, shape)

    def backward(self, g):
        return g.sum_to_size(self.shape)


class Flip(Function):
    def forward(self, a, dims=()):
        self.dims = dims
        return xp_of(a).flip(a, dims)

    def backward(self, g):
        return g.flip(self.dims)


class Pad(Function):
    """Constant padding; `widths` is NumPy's ((before, after), ...) per axis."""

    def forward(self, a, widths=(), value=0.0):
        self.slices = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape))
        return xp_of(a).pad(a, widths, constant_values=value)

    def backward(self, g):
        return g[self.slices]


class Cat(Function):
    def forward(self, *arrays, dim=0):
        ref = arrays[0].shape
        for a in arrays:
            if a.ndim != len(ref) or any(s != r for i, (s, r) in enumerate(zip(a.shape, ref))
                                         if i != dim):
                shapes = ", ".join(str(tuple(x.shape)) for x in arrays)
                raise ValueError(f"sizes of tensors must match except in dimension {dim}; "
                                 f"got shapes {shapes}")
        self.dim, self.sizes = dim, [a.shape[dim] for a in arrays]
        if any(a.dtype != arrays[0].dtype for a in arrays):
            dtype = backend.result_type(*arrays)  # PyTorch's: int64 with float32 is float32
            arrays = [a.astype(dtype, copy=False) for a in arrays]
        return xp_of(arrays[0]).concatenate(arrays, axis=dim)

    def backward(self, g):
        grads, start = [], 0
        lead = (slice(None),) * self.dim
        for n in self.sizes:
            grads.append(g[lead + (slice(start, start + n),)])
            start += n
        return tuple(grads)


# ----------------------------------------------------------------- public functions


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _check_shape(shape, input_shape, numel, op):
    """PyTorch's rules: sizes >= 0 or one -1, and as many elements as the input."""
    shape = tuple(int(s) for s in shape)
    if builtins.any(s < -1 for s in shape) or shape.count(-1) > 1:
        bad = next((i for i, s in enumerate(shape) if s < -1), None)
        what = (f"invalid shape dimension {shape[bad]} at index {bad}" if bad is not None
                else "only one dimension can be inferred (-1)")
        raise ValueError(f"{op}: {what} of shape {list(shape)} (input shape "
                         f"{tuple(input_shape)})")
    known = 1
    for s in shape:
        known *= s if s != -1 else 1
    if (-1 not in shape and known != numel) or (-1 in shape and (known == 0 or numel % known)):
        raise ValueError(f"{op}: shape {list(shape)} is invalid for input of shape "
                         f"{tuple(input_shape)} ({numel} elements)")
    return shape


def reshape(a, *shape):
    shape = _check_shape(_shape_arg(shape), a.shape, a.numel(), "reshape")
    if shape == a.shape:
        return a
    return Reshape.apply(a, shape=shape)


def flatten(a, start_dim=0, end_dim=-1):
    if a.ndim == 0:
        for d in (start_dim, end_dim):  # each in range; the same dim twice is fine here
            normalize_dims(d, 0, "flatten")
        return a.reshape(1)
    s = normalize_dims(start_dim, a.ndim, "flatten")[0]
    e = normalize_dims(end_dim, a.ndim, "flatten")[0]
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim} "
                         f"(shape {tuple(a.shape)})")
    shape = a.shape
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return a.reshape(shape[:s] + (n,) + shape[e + 1:])


def unflatten(a, dim, sizes):
    d = normalize_dims(dim, a.ndim, "unflatten")[0]
    return a.reshape(a.shape[:d] + tuple(sizes) + a.shape[d + 1:])


def squeeze(a, dim=None):
    if dim is None:
        return a.reshape(tuple(s for s in a.shape if s != 1))
    dims = normalize_dims(dim, a.ndim, "squeeze")
    return a.reshape(tuple(s for i, s in enumerate(a.shape) if not (i in dims and s == 1)))


def unsqueeze(a, dim):
    d = normalize_dims(dim, a.ndim + 1, "unsqueeze")[0]
    return a.reshape(a.shape[:d] + (1,) + a.shape[d:])


def permute(a, *dims):
    if not dims:
        raise TypeError("permute() missing the required argument 'dims'")
    dims = _shape_arg(dims)
    if len(dims) != a.ndim:
        raise ValueError(f"permute: got {len(dims)} dims {dims} for a tensor of shape {a.shape}")
    dims = tuple(normalize_dims(d, a.ndim, "permute")[0] for d in dims)
    if builtins.sorted(dims) != list(range(a.ndim)):
        raise ValueError(f"permute: {dims} is not a permutation of the dims of shape {a.shape}")
    return Permute.apply(a, dims=dims)


def transpose(a, dim0, dim1):
    if a.ndim < 2:
        for d in (dim0, dim1):  # 0-d and 1-d: dims 0 or -1 only, the same one twice fine
            normalize_dims(d, a.ndim, "transpose")
        return a
    d0, d1 = (normalize_dims(d, a.ndim, "transpose")[0] for d in (dim0, dim1))
    dims = list(range(a.ndim))
    dims[d0], dims[d1] = d1, d0
    return Permute.apply(a, dims=tuple(dims))


def t(a):
    if a.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, but got shape "
                           f"{tuple(a.shape)}; use transpose(dim0, dim1) or permute")
    return transpose(a, 0, 1) if a.ndim == 2 else a


def expand(a, *shape):
    shape = _shape_arg(shape)
    lead = len(shape) - a.ndim
    for i, size in enumerate(shape):
        if size < -1 or (size == -1 and i < lead):
            raise ValueError(f"expand: the expanded size {size} at dim {i} is invalid for "
                             f"shape {a.shape} -> {shape} (sizes are >= 0, or -1 to keep an "
                             "existing dim)")
    if lead < 0:
        raise ValueError(f"expand: the number of sizes {shape} must be at least the number of "
                         f"dims of shape {a.shape}")
    full = tuple(a.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    for i, s in enumerate(a.shape):
        if s != 1 and s != full[lead + i]:
            raise ValueError(f"expand: the expanded size {full[lead + i]} must match the "
                             f"existing size {s} at dim {lead + i} (shape {a.shape} -> {shape})")
    if full == a.shape:
        return a
    return Expand.apply(a, shape=full)


def broadcast_to(a, size):
    return expand(a, tuple(size))


def broadcast_shapes(*shapes):
    try:
        return tuple(backend.numpy_broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"broadcast_shapes: shapes {list(shapes)} cannot be broadcast together") \
            from None


def sum_to_size(g, *shape):
    """Sum a broadcast gradient back down to `shape` (the adjoint of expand); like PyTorch's,
    takes the sizes as one tuple or as separate ints."""
    shape = _shape_arg(shape)
    lead = g.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to_size: cannot sum shape {g.shape} to larger shape {shape}")
    dims = tuple(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and g.shape[lead + i] != 1:
            dims += (lead + i,)
        elif s != g.shape[lead + i]:
            raise ValueError(f"sum_to_size: shape {g.shape} is not expandable from {shape}")
    out = g.sum(dims, keepdim=True) if dims else g
    return out.reshape(shape)


def flip(a, *args, dims=None):
    """flip(a, dims) or a.flip(d0, d1, ...): the order of the elements along dims reversed."""
    dims = _shape_arg(args) if dims is None else dims
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = normalize_dims(dims, a.ndim, "flip")
    if len(axes) != len(dims):
        raise RuntimeError(f"flip: a dim appears more than once in dims {dims}")
    return Flip.apply(a, dims=axes)


def rot90(a, k=1, dims=(0, 1)):
    """Rotates by 90 degrees k times in the plane of dims, from the first toward the second."""
    if len(dims) != 2 or a.ndim < 2:
        raise ValueError(f"rot90: expected two dims of a tensor of at least 2 dims, got dims "
                         f"{tuple(dims)} for shape {tuple(a.shape)}")
    d0, d1 = (normalize_dims(d, a.ndim, "rot90")[0] for d in dims)
    if d0 == d1:
        raise ValueError(f"rot90: dims must be two different dims, got {tuple(dims)}")
    k %= 4
    if k == 1:
        return flip(a, d1).transpose(d0, d1)
    if k == 2:
        return flip(a, (d0, d1))
    return flip(a, d0).transpose(d0, d1) if k == 3 else a


def repeat(a, *sizes):
    sizes = _shape_arg(sizes)
    if builtins.any(r < 0 for r in sizes):
        raise ValueError(f"repeat: repeat counts must be non-negative, got {tuple(sizes)}")
    if len(sizes) < a.ndim:
        raise ValueError(f"repeat: number of repeat dims {len(sizes)} can not be smaller than "
                         f"the number of dims of shape {a.shape}")
    # Tiling is broadcasting each dim of size s to (r, s), then merging the pairs: expand, then
    # the reshape's copy; expand's backward sums the copies back.
    shape = (1,) * (len(sizes) - a.ndim) + tuple(a.shape)
    pairs = [d for s in shape for d in (1, s)]
    tiled = [d for r, s in zip(sizes, shape) for d in (r, s)]
    return reshape(expand(reshape(a, pairs), tiled), [r * s for r, s in zip(sizes, shape)])


def pad(a, pad, mode="constant", value=0.0):
    """PyTorch's F.pad: `pad` lists (left, right) pairs starting from the last dim."""
    if len(pad) % 2 or len(pad) // 2 > a.ndim:
        raise ValueError(f"pad: padding {tuple(pad)} must have an even length of at most "
                         f"2 * ndim = {2 * a.ndim}")
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
    if mode == "constant":
        if builtins.any(p < 0 for p in pad):  # negative padding crops, as in PyTorch
            crop = [slice(None)] * a.ndim
            for i, (lo, hi) in enumerate(pairs):
                d = a.ndim - 1 - i
                if a.shape[d] + builtins.min(lo, 0) + builtins.min(hi, 0) < 0:
                    raise ValueError(f"pad: the size {a.shape[d]} of dim {d} plus the negative "
                                     f"padding ({lo}, {hi}) gives a negative size")
                crop[d] = slice(-builtins.min(lo, 0), a.shape[d] - (-builtins.min(hi, 0)))
            a = a[tuple(crop)]
            pairs = [(builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in pairs]
        widths = [(0, 0)] * (a.ndim - len(pairs)) + pairs[::-1]
        return Pad.apply(a, widths=tuple(widths), value=value)
    # Other modes gather existing elements: an index_select per padded dim.
    xp = xp_of(a._data)
    out = a
    for i, (lo, hi) in enumerate(pairs):
        d = a.ndim - 1 - i
        n = a.shape[d]
        idx = xp.arange(-lo, n + hi)
        if mode == "replicate":
            idx = xp.clip(idx, 0, n - 1)
        elif mode == "reflect":
            if lo >= n or hi >= n:
                raise ValueError(f"pad: reflect padding ({lo}, {hi}) must be smaller than the "
                                 f"size {n} of dim {d}")
            period = 2 * (n - 1)
            idx = xp.abs(idx) % period
            idx = xp.where(idx >= n, period - idx, idx)
        elif mode == "circular":
            idx = idx % n
        else:
            raise ValueError(f"pad: unknown mode {mode!r}; expected 'constant', 'reflect', "
                             "'replicate' or 'circular'")
        out = out.index_select(d, Tensor._make(idx))
    return out


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ValueError(f"cat: zero-dimensional tensor (at position {i}) cannot be "
                             "concatenated; use stack, or unsqueeze it first")
    # PyTorch's legacy rule: 1-D empty tensors are skipped whatever the others' shapes (and
    # whatever the dim, when all are).
    kept = [t for t in tensors if t.shape != (0,)]
    if not kept:
        return tensors[0]
    return Cat.apply(*kept, dim=normalize_dims(dim, kept[0].ndim, "cat")[0])


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: expects each tensor to be equal size, got shapes "
                         f"{[tuple(t.shape) for t in tensors]}")
    d = normalize_dims(dim, tensors[0].ndim + 1, "stack")[0]
    return cat([t.unsqueeze(d) for t in tensors], d)


def split(a, split_size_or_sections, dim=0):
    d = one_dim(dim, a.ndim, "split")
    n = a.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0 or (step == 0 and n):
            raise ValueError(f"split: split_size must be a positive integer, got {step} (dim "
                             f"{d} has size {n})")
        if n == 0:
            return (a,)
        sizes = [builtins.min(step, n - i) for i in range(0, n, step)]
    else:
        sizes = list(split_size_or_sections)
        if builtins.any(int(s) < 0 for s in sizes) or builtins.sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} must be non-negative and sum to the size "
                             f"{n} of dim {d}")
    lead = (slice(None),) * d
    out, start = [], 0
    for s in sizes:
        out.append(a[lead + (slice(start, start + s),)])
        start += s
    return tuple(out)


def chunk(a, chunks, dim=0):
    if not isinstance(chunks, int) or chunks <= 0:
        raise ValueError(f"chunk: expects `chunks` to be a positive integer, got {chunks!r}")
    d = one_dim(dim, a.ndim, "chunk")
    n = a.shape[d]
    if n == 0:  # PyTorch gives `chunks` empty pieces of an empty dim
        return tuple(a for _ in range(chunks))
    return split(a, builtins.max(-(-n // chunks), 1), dim)


def tensor_split(a, indices_or_sections, dim=0):
    """Views of a along dim: `n` parts as even as can be (the first n % size one longer), or
    the parts between the given indices (clipped to the dim, as in slicing)."""
    d = one_dim(dim, a.ndim, "tensor_split")
    size = a.shape[d]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise ValueError(f"tensor_split: the number of sections must be positive, got {n}")
        bounds = [i * (size // n) + builtins.min(i, size % n) for i in range(n + 1)]
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [size]
    lead = (slice(None),) * d
    return tuple(a[lead + (slice(s, builtins.max(s, e)),)] for s, e in zip(bounds, bounds[1:]))


def unbind(a, dim=0):
    d = one_dim(dim, a.ndim, "unbind")
    lead = (slice(None),) * d
    return tuple(a[lead + (i,)] for i in range(a.shape[d]))


def movedim(a, source, destination):
    """Move dims `source` to positions `destination`, the others keeping their order."""
    source, destination = ([normalize_dims(d, a.ndim, "movedim")[0]
                            for d in ((x,) if isinstance(x, int) else x)]
                           for x in (source, destination))
    if len(source) != len(destination):
        raise ValueError(f"movedim: source {source} and destination {destination} must have "
                         "the same number of dims")
    rest = iter(d for d in range(a.ndim) if d not in source)
    where = dict(zip(destination, source))
    return permute(a, *(where[i] if i in where else next(rest) for i in range(a.ndim)))


moveaxis = movedim


def swapaxes(a, axis0, axis1):
    return transpose(a, axis0, axis1)


swapdims = swapaxes


def narrow(a, dim, start, length):
    d = one_dim(dim, a.ndim, "narrow")
    start = start + a.shape[d] if start < 0 else start
    if not 0 <= start <= start + length <= a.shape[d]:
        raise ValueError(f"narrow: start {start} and length {length} fall outside dim {d} of "
                         f"size {a.shape[d]}")
    return a[(slice(None),) * d + (slice(start, start + length),)]


def select(a, dim, index):
    d = one_dim(dim, a.ndim, "select")
    return a[(slice(None),) * d + (index,)]


def roll(a, shifts, dims=None):
    """Shift elements along dims, wrapping around (`dims=None`: over the flattened tensor)."""
    if dims is None:
        return roll(a.reshape(-1), shifts, 0).reshape(a.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(dims)} dims")
    out = a
    for shift, dim in zip(shifts, dims):
        d = normalize_dims(dim, a.ndim, "roll")[0]
        n = a.shape[d]
        if n == 0 or shift % n == 0:
            continue
        k = shift % n
        head = out[(slice(None),) * d + (slice(n - k, None),)]
        tail = out[(slice(None),) * d + (slice(0, n - k),)]
        out = cat([head, tail], d)
    return out


def tile(a, *dims):
    """tile(a, dims) or a.tile(d0, d1, ...): repeat, with dims padded with 1s on the left."""
    dims = _shape_arg(dims)
    if len(dims) < a.ndim:
        dims = (1,) * (a.ndim - len(dims)) + dims
    return repeat(a, *dims)


def repeat_interleave(a, repeats, dim=None):
    """Each element (or slice along `dim`) `repeats` times in a row: [1, 2] -> [1, 1, 2, 2]."""
    if dim is None:
        a, dim = a.reshape(-1), 0
    d = normalize_dims(dim, a.ndim, "repeat_interleave")[0]
    xp = xp_of(a._data)
    counts = repeats._data if isinstance(repeats, Tensor) else repeats
    index = xp.repeat(xp.arange(a.shape[d]), counts)
    return a[(slice(None),) * d + (index,)]


def ravel(a):
    return a.reshape(-1)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors: with indexing='ij' the i-th output varies along dim i;
    'xy' swaps the first two dims (NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    shape = [t.numel() for t in tensors]
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
        order[0], order[1] = 1, 0
    grids = []
    for i, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[order.index(i)] = -1
        grids.append(t.reshape(view).expand(*shape))
    return tuple(grids)


def hstack(tensors):
    """Along dim 1 (dim 0 for 1-D tensors)."""
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Along dim 0, 1-D tensors becoming rows."""
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


def diff(a, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along `dim`."""
    d = normalize_dims(dim, a.ndim, "diff")[0]
    if prepend is not None or append is not None:
        a = cat([t for t in (prepend, a, append) if t is not None], d)
    for _ in range(n):
        size = a.shape[d]
        a = (a[(slice(None),) * d + (slice(1, size),)]
             - a[(slice(None),) * d + (slice(0, size - 1),)])
    return a
