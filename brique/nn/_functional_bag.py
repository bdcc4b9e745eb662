"""F.embedding_bag (re-exported by brique.nn.functional): sums, means or maxima of bags of
embedding rows, a composite of the embedding lookup, an index and a reduction."""
from __future__ import annotations

from .. import backend, creation
from ..ops import elementwise as E
from ..ops.movement import cat
from ..tensor import Tensor
from ._functional_extra import _array


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embedding rows, without building the (*, D) lookup.
    A 2-D input holds one bag per row; a 1-D input is cut into bags at `offsets`. Entries
    equal to padding_idx are left out (and out of the mean's count); an empty bag gives zeros.

    Shape: input (B, L) or (N,) with offsets (B,) ((B + 1,) with include_last_offset);
    weight (num_embeddings, D); per_sample_weights like input (mode='sum') -> (B, D).
    """
    from .functional import embedding
    idx = _array(input)
    _check_arguments(idx, weight, mode, per_sample_weights)
    xp = backend.get_array_module(idx)
    pos, valid = _bag_layout(idx, offsets, include_last_offset, xp)
    flat = idx.reshape(-1)
    if padding_idx is not None:
        num = weight.shape[0]
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding_bag: padding_idx must be within [-{num}, {num}), "
                             f"got {padding_idx}")
        valid = valid & (flat[pos] != padding_idx % num) if flat.size else valid
    rows = embedding(Tensor._make(flat), weight, None, max_norm, norm_type, scale_grad_by_freq)
    # One zero row after the looked-up ones: the slots past a bag's end point there, so a sum
    # needs no mask.
    zero = creation.zeros(1, weight.shape[1], dtype=weight.dtype, device=weight.device)
    pos = Tensor._make(xp.where(valid, pos, flat.size))
    picked = cat([rows, zero])[pos]                               # (B, L, D)
    if per_sample_weights is not None:
        w = cat([per_sample_weights.reshape(-1).to(weight.dtype),
                 creation.zeros(1, dtype=weight.dtype, device=weight.device)])
        picked = picked * w[pos].unsqueeze(-1)
    return _reduce_bags(picked, valid, mode, xp)


def _check_arguments(idx, weight, mode, per_sample_weights):
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding_bag: input must be integers (long), got {idx.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding_bag: weight has to be a 2D Tensor, got shape "
                         f"{tuple(weight.shape)}")
    if weight.dtype.kind != "f":
        raise TypeError(f"embedding_bag: weight must be floating point, got {weight.dtype}")
    if per_sample_weights is not None:
        if mode != "sum":
            # PyTorch's error type, kept so code that catches it keeps working.
            raise NotImplementedError(f"embedding_bag: per_sample_weights is only supported "
                                      f"for mode='sum' (got mode={mode!r})")
        if tuple(per_sample_weights.shape) != tuple(idx.shape):
            raise ValueError(f"embedding_bag: per_sample_weights of shape "
                             f"{tuple(per_sample_weights.shape)} must have the input's shape "
                             f"{tuple(idx.shape)}")


def _bag_layout(idx, offsets, include_last_offset, xp):
    """(positions (B, L) into the flat input, valid (B, L)): a 2-D input's rows, or a 1-D
    input cut at offsets."""
    if idx.ndim == 1:
        return _bag_positions(idx, offsets, include_last_offset, xp)
    if idx.ndim != 2:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D, got shape "
                         f"{tuple(idx.shape)}")
    if offsets is not None:
        raise ValueError("embedding_bag: if input is 2D, then offsets has to be None, as "
                         "input is treated as a mini-batch of fixed length sequences")
    bags, width = idx.shape
    if width == 0:  # PyTorch refuses bags of fixed length 0
        raise ValueError(f"embedding_bag: a 2D input needs bags of length at least 1, "
                         f"got shape {tuple(idx.shape)}")
    return xp.arange(bags * width).reshape(bags, width), xp.ones((bags, width), dtype=bool)


def _bag_positions(idx, offsets, include_last_offset, xp):
    """(positions (B, L) into the flat input, valid (B, L)) for 1-D input cut by offsets."""
    if offsets is None:
        raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None")
    off = _array(offsets)
    if off.ndim != 1:
        raise ValueError(f"embedding_bag: offsets has to be a 1D Tensor, got shape "
                         f"{tuple(off.shape)}")
    if off.dtype.kind not in "iu":
        raise TypeError(f"embedding_bag: offsets must be integers, got {off.dtype}")
    n = idx.shape[0]
    if off.size and int(off[0]) != 0:
        raise RuntimeError(f"embedding_bag: offsets[0] has to be 0, i.e., the first sequence "
                           f"in the mini-batch has to start from position 0. However, got "
                           f"{int(off[0])}")
    if include_last_offset:
        if off.size == 0:
            raise ValueError("embedding_bag: include_last_offset needs at least one offset")
        starts, ends = off[:-1], off[1:]
    else:
        starts, ends = off, xp.concatenate([off[1:], xp.asarray([n], dtype=off.dtype)])
    lengths = ends - starts
    if lengths.size and (int(lengths.min()) < 0 or int(ends.max()) > n):
        raise ValueError(f"embedding_bag: offsets {off.tolist()} must be non-decreasing and at "
                         f"most the input length {n}")
    width = max(int(lengths.max()) if lengths.size else 0, 1)
    steps = xp.arange(width)
    valid = steps[None, :] < lengths[:, None]
    return xp.where(valid, starts[:, None] + steps[None, :], 0), valid


def _reduce_bags(picked, valid, mode, xp):
    """Each bag's (B, L, D) rows reduced over L; slots past a bag's end are zero rows."""
    count = valid.sum(axis=1)
    if mode == "max":
        # a nan after a bag's first entry never wins, as in PyTorch's running `>` comparison
        later_nan = xp.isnan(picked._data)
        later_nan[:, :1] = False
        mask = Tensor._make(~valid[:, :, None] | later_nan)
        best = picked.masked_fill(mask, float("-inf")).max(1).values
        return E.where(Tensor._make(count[:, None] > 0), best, 0.0)
    out = picked.sum(1)
    if mode == "mean":
        out = out / Tensor._make(xp.maximum(count, 1)[:, None].astype(picked.dtype))
    return out
