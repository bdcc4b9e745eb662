"""Embedding lookup and attention of brique.nn.functional: embedding (max_norm renorm,
padding_idx, scale_grad_by_freq) and the masked softmax behind scaled_dot_product_attention and
the attention modules. Split from functional.py, which re-exports every name."""
from __future__ import annotations

import math

from .. import backend
from ..autograd import no_grad
from ..ops.reduce import softmax
from ..tensor import Tensor


# ----------------------------------------------------------------- embedding
def _renorm_rows(weight, index, max_norm, norm_type):
    """Rescale in place the rows of weight used by index whose norm exceeds max_norm."""
    xp = backend.get_array_module(index)
    rows = xp.unique(index)
    w = weight._data[rows]
    if norm_type == float("inf"):
        norms = xp.abs(w).max(axis=1)
    else:
        norms = (xp.abs(w) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    with no_grad():
        weight[Tensor._make(rows)] = (w * scale[:, None]).astype(w.dtype)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False):
    """Rows of weight picked by the indices in input. The gradient reaches only the rows
    used (repeated indices accumulate), never the padding_idx row; with max_norm the rows
    used are first renormalized in place; scale_grad_by_freq divides each row's gradient
    by its count in the batch.

    Shape: input (*) of integers in [0, num_embeddings); weight (num_embeddings, D) -> (*, D).
    """
    index = input._data if isinstance(input, Tensor) else backend.asarray(input)
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer (long) tensor, got {index.dtype}")
    num = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= num):
        bad = index[(index < 0) | (index >= num)].reshape(-1)[0]
        raise IndexError(f"embedding: index {int(bad)} is out of range for {num} embeddings")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        _renorm_rows(weight, index, max_norm, norm_type)
    out = weight[Tensor._make(index)]
    if out.requires_grad and (padding_idx is not None or scale_grad_by_freq):
        xp = backend.get_array_module(index)
        scale = xp.ones(index.shape, dtype=weight.dtype)
        if scale_grad_by_freq:
            scale = scale / xp.bincount(index.reshape(-1), minlength=num)[index]
        if padding_idx is not None:
            scale = scale * (index != padding_idx)
        scale = Tensor._make(scale[..., None].astype(weight.dtype))
        # A hook scales the gradient on its way to the rows, leaving the forward untouched.
        out.register_hook(lambda g: g * scale)
    return out


# ---- attention: one masked softmax serves scaled_dot_product_attention and the modules -----

_NEG_INF = float("-inf")


def _attention_bias(mask, dtype, keep_true, what):
    """A boolean or float mask -> an additive float mask (0 or -inf for booleans).
    keep_true: True marks the positions that take part (SDPA); else the ones masked out (MHA)."""
    data = mask._data if isinstance(mask, Tensor) else backend.asarray(mask)
    xp = backend.get_array_module(data)
    if data.dtype.kind == "b":
        drop = ~data if keep_true else data
        return Tensor._make(xp.where(drop, _NEG_INF, 0.0).astype(dtype))
    if data.dtype.kind != "f":
        raise TypeError(f"{what}: only bool and floating types of masks are supported, got "
                        f"{data.dtype}")
    return mask if isinstance(mask, Tensor) else Tensor._make(data.astype(dtype))


def _masked_softmax(scores, bias=None):
    """softmax(scores + bias) over the last dim, bias an additive mask (None: none). Rows masked
    entirely give zeros (PyTorch's math backend), not NaN, and no NaN in the gradient either."""
    if bias is not None:
        scores = scores + bias
    xp = backend.get_array_module(scores._data)
    dead = xp.isneginf(scores._data).all(axis=-1, keepdims=True)
    if not dead.any():
        return softmax(scores, -1)
    dead = Tensor._make(dead)
    return softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q K^T * scale + mask) V, scale = 1/sqrt(E) by default. A boolean attn_mask marks
    with True the positions that take part; a float one is added to the scores. Dropout on the
    weights is applied whenever dropout_p > 0 (as PyTorch, whatever the module's mode).

    Shape: query (..., L, E), key (..., S, E), value (..., S, Ev), attn_mask broadcastable to
    (..., L, S) -> (..., L, Ev).
    """
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        # grouped-query attention: each key/value head serves a group of query heads
        groups, rest = divmod(query.shape[-3], key.shape[-3])
        if rest or key.shape[-3] != value.shape[-3]:
            raise ValueError(f"scaled_dot_product_attention: with enable_gqa the query's heads "
                             f"({query.shape[-3]}) must be a multiple of the key's and value's "
                             f"({key.shape[-3]}, {value.shape[-3]})")
        key, value = key.repeat_interleave(groups, -3), value.repeat_interleave(groups, -3)
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: expected query (..., L, E), key "
                         f"(..., S, E) and value (..., S, Ev), got {tuple(query.shape)}, "
                         f"{tuple(key.shape)} and {tuple(value.shape)}")
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    xp = backend.get_array_module(query._data)
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: pass either attn_mask or "
                             "is_causal=True, not both")
        bias = _attention_bias(Tensor._make(xp.tril(xp.ones((L, S), dtype=bool))),
                               query.dtype, True, "scaled_dot_product_attention")
    elif attn_mask is not None:
        bias = _attention_bias(attn_mask, query.dtype, True, "scaled_dot_product_attention")
    weights = _masked_softmax(query @ key.mT * scale, bias)
    if dropout_p > 0.0:
        from .functional import dropout
        weights = dropout(weights, dropout_p, True)
    return weights @ value
