"""Attention modules: `MultiheadAttention` (PyTorch's parameters, masks and return values) and
Bahdanau's `AdditiveAttention`. Their math (`scaled_dot_product_attention` and the masked softmax
they share) lives in nn.functional.

All composites of primitives: matmul, softmax (a fused log_softmax), where and dropout.
"""
from __future__ import annotations

import math

from ... import backend, creation
from ...ops.movement import cat
from ...tensor import Tensor
from .. import functional as F
from .. import init
from .linear import Linear
from .module import Module
from ..parameter import Parameter

class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al.), PyTorch's module:
    head_i = softmax(Q W_q^i (K W_k^i)^T / sqrt(d)) V W_v^i, out = concat(heads) W_o^T + b_o.

    Parameters: in_proj_weight (3E, E) and in_proj_bias (3E,), packed q, k, v, when kdim =
    vdim = E (else q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim));
    out_proj (Linear(E, E)); bias_k, bias_v (1, 1, E) with add_bias_kv.

    Shape: query (L, N, E) ((N, L, E) with batch_first, (L, E) unbatched), key (S, N, kdim),
    value (S, N, vdim); key_padding_mask (N, S) (True or -inf: ignore that key); attn_mask
    (L, S) or (N * num_heads, L, S) (True or -inf: not allowed) -> attn_output like query,
    attn_weights (N, L, S) averaged over heads, (N, num_heads, L, S) otherwise, or None when
    need_weights=False.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive "
                             f"multiple of num_heads ({num_heads})")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        kw = dict(device=device, dtype=dtype)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, **kw))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(creation.empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(creation.empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(creation.empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(creation.empty(1, 1, embed_dim, **kw))
            self.bias_v = Parameter(creation.empty(1, 1, embed_dim, **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    reset_parameters = _reset_parameters

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"

    def _projections(self, query, key, value):
        E = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            wq, wk, wv = w[:E], w[E:2 * E], w[2 * E:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)

    def _check(self, query, key, value):
        name = "MultiheadAttention"
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{name}: query, key and value must all be 3-D (batched) or 2-D "
                             f"(unbatched), got shapes {tuple(query.shape)}, "
                             f"{tuple(key.shape)} and {tuple(value.shape)}")
        for t, dim, what in ((query, self.embed_dim, "query"), (key, self.kdim, "key"),
                             (value, self.vdim, "value")):
            if t.shape[-1] != dim:
                raise ValueError(f"{name}: was expecting {what} embedding dimension of {dim}, "
                                 f"but got shape {tuple(t.shape)}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"{name}: key shape {tuple(key.shape)} does not match value "
                             f"shape {tuple(value.shape)}")

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        self._check(query, key, value)
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: need attn_mask if specifying the is_causal "
                               "hint")
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        L, N, E = query.shape
        q, k, v = self._projections(query, key, value)         # (L|S, N, E)
        q, k, v, bias = self._heads(q, k, v, attn_mask, key_padding_mask)
        scores = (q * math.sqrt(1.0 / self.head_dim)) @ k.mT    # (N*H, L, S)
        weights = F._masked_softmax(scores, bias)
        if self.training and self.dropout > 0.0:
            weights = F.dropout(weights, self.dropout, True)
        out = (weights @ v).transpose(0, 1).reshape(L * N, E)
        out = self.out_proj(out).reshape(L, N, E)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = weights.reshape(N, self.num_heads, L, weights.shape[-1])
        if average_attn_weights:
            weights = weights.mean(1)
        return out, (weights if batched else weights.squeeze(0))

    def _heads(self, q, k, v, attn_mask, key_padding_mask):
        """Append bias_k/bias_v and the zero-attention key, split the heads ((L|S, N, E) ->
        (N*H, L|S, hd)) and build the additive mask of the scores ((1|N*H, L, S) or None)."""
        (L, N, E), H, hd = q.shape, self.num_heads, self.head_dim
        dtype = q.dtype
        mask = None if attn_mask is None else F._attention_bias(attn_mask, dtype, False,
                                                                "attn_mask")
        kpm = (None if key_padding_mask is None
               else F._attention_bias(key_padding_mask, dtype, False, "key_padding_mask"))
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(1, N, E)], 0)
            v = cat([v, self.bias_v.expand(1, N, E)], 0)
            mask, kpm = _pad_last(mask), _pad_last(kpm)
        S = k.shape[0]
        q, k, v = (t.reshape(t.shape[0], N * H, hd).transpose(0, 1) for t in (q, k, v))
        if self.add_zero_attn:
            xp = backend.get_array_module(q._data)
            zeros = Tensor._make(xp.zeros((N * H, 1, hd), dtype=dtype))
            k, v = cat([k, zeros], 1), cat([v, zeros], 1)
            S += 1
            mask, kpm = _pad_last(mask), _pad_last(kpm)
        return q, k, v, self._combine_masks(mask, kpm, L, N, S)

    def _combine_masks(self, mask, kpm, L, N, S):
        H = self.num_heads
        if mask is not None:
            if mask.ndim == 2:
                if tuple(mask.shape) != (L, S):
                    raise ValueError(f"MultiheadAttention: the shape of the 2D attn_mask is "
                                     f"{tuple(mask.shape)}, but should be {(L, S)}")
                mask = mask.unsqueeze(0)
            elif tuple(mask.shape) != (N * H, L, S):
                raise ValueError(f"MultiheadAttention: the shape of the 3D attn_mask is "
                                 f"{tuple(mask.shape)}, but should be {(N * H, L, S)}")
        if kpm is not None:
            if tuple(kpm.shape) != (N, S):
                raise ValueError(f"MultiheadAttention: expected key_padding_mask of shape "
                                 f"{(N, S)}, got {tuple(kpm.shape)}")
            kpm = kpm.reshape(N, 1, 1, S).expand(N, H, 1, S).reshape(N * H, 1, S)
            mask = kpm if mask is None else mask + kpm
        return mask


def _pad_last(mask):
    """One more key column that every query may attend (bias_k or the zero-attention key)."""
    if mask is None:
        return None
    return F.pad(mask, (0, 1))


class AdditiveAttention(Module):
    """Bahdanau (additive) attention: score(s, h_t) = v^T tanh(W_s s + W_h h_t),
    weights = softmax_t(score), context = sum_t weights_t h_t.

    Parameters:
        query_proj.weight (attn_size, query_size): W_s, applied to the decoder state s.
        key_proj.weight (attn_size, key_size), key_proj.bias (attn_size,) if bias: W_h and
            the bias b of tanh(W_s s + W_h h + b), applied to each encoder state h_t.
        v.weight (1, attn_size): v^T.
    attn_size defaults to key_size. All Linear-initialized (U(-1/sqrt(fan_in), 1/sqrt(fan_in))).

    forward(query, keys, mask=None, values=None): mask is boolean (N, T), True where a key is
    padding and must get no weight (MultiheadAttention's key_padding_mask convention); values
    default to the keys (Bahdanau's context is a weighted sum of the encoder states). A row
    with every key masked gets zero weights.

    Shape: query (N, Hq), keys (N, T, Hk), values (N, T, Hv) -> context (N, Hv) (Hk without
    values), weights (N, T).
    """

    def __init__(self, query_size, key_size, attn_size=None, bias=True, device=None,
                 dtype=None):
        super().__init__()
        attn_size = key_size if attn_size is None else attn_size
        self.query_size, self.key_size, self.attn_size = query_size, key_size, attn_size
        kw = dict(device=device, dtype=dtype)
        self.query_proj = Linear(query_size, attn_size, bias=False, **kw)
        self.key_proj = Linear(key_size, attn_size, bias=bias, **kw)
        self.v = Linear(attn_size, 1, bias=False, **kw)

    def extra_repr(self):
        return (f"query_size={self.query_size}, key_size={self.key_size}, "
                f"attn_size={self.attn_size}")

    def forward(self, query, keys, mask=None, values=None):
        if query.ndim != 2 or keys.ndim != 3 or query.shape[0] != keys.shape[0] \
                or query.shape[1] != self.query_size or keys.shape[2] != self.key_size:
            raise ValueError(f"{self!r} expected query (N, {self.query_size}) and keys "
                             f"(N, T, {self.key_size}), got {tuple(query.shape)} and "
                             f"{tuple(keys.shape)}")
        values = keys if values is None else values
        hidden = (self.query_proj(query).unsqueeze(1) + self.key_proj(keys)).tanh()  # (N, T, A)
        scores = self.v(hidden).squeeze(-1)                                         # (N, T)
        if mask is not None:
            m = mask if isinstance(mask, Tensor) else Tensor._make(backend.asarray(mask))
            if tuple(m.shape) != tuple(scores.shape) or m.dtype.kind != "b":
                raise ValueError(f"{self!r}: expected a boolean mask of shape "
                                 f"{tuple(scores.shape)}, got {m.dtype} {tuple(m.shape)}")
            scores = scores.masked_fill(m, F._NEG_INF)
        weights = F._masked_softmax(scores)
        context = (weights.unsqueeze(1) @ values).squeeze(1)                        # (N, Hv)
        return context, weights
